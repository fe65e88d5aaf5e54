import { canonicalLine } from '../../local/commands/lib/table-backup';

describe('canonical backup lines', () => {
  it('do not depend on attribute order or on the order of set members', () => {
    const one = canonicalLine({
      PK: { S: 'ORDER#1' },
      SK: { S: 'ORDER' },
      tags: { SS: ['b', 'a'] },
      amounts: { NS: ['2', '10'] },
      nested: { M: { z: { N: '1' }, a: { L: [{ S: 'x' }, { NULL: true }] } } },
      blob: { B: new Uint8Array([1, 2, 3]) },
    });
    const two = canonicalLine({
      blob: { B: new Uint8Array([1, 2, 3]) },
      nested: { M: { a: { L: [{ S: 'x' }, { NULL: true }] }, z: { N: '1' } } },
      amounts: { NS: ['10', '2'] },
      tags: { SS: ['a', 'b'] },
      SK: { S: 'ORDER' },
      PK: { S: 'ORDER#1' },
    });
    expect(one).toBe(two);
    expect(JSON.parse(one)).toEqual({
      Item: {
        PK: { S: 'ORDER#1' },
        SK: { S: 'ORDER' },
        amounts: { NS: ['10', '2'] },
        blob: { B: 'AQID' },
        nested: { M: { a: { L: [{ S: 'x' }, { NULL: true }] }, z: { N: '1' } } },
        tags: { SS: ['a', 'b'] },
      },
    });
  });

  it('keep list order, which is part of the value', () => {
    expect(canonicalLine({ l: { L: [{ S: 'a' }, { S: 'b' }] } })).not.toBe(
      canonicalLine({ l: { L: [{ S: 'b' }, { S: 'a' }] } }),
    );
  });
});
