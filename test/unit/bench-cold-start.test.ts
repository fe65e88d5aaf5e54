import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureInitTimes, withAnchorThroughout } from '../../bench/lib/cold-start';

describe('the SDK-only floor measured throughout a round', () => {
  it('puts the anchor before every nth subject and keeps the subjects in order', () => {
    const subjects = Array.from({ length: 10 }, (_, index) => ({ name: `f${index}` }));
    const listed = withAnchorThroughout({ name: 'floor' }, subjects, 4).map((subject) => subject.name);
    expect(listed).toEqual(['floor', 'f0', 'f1', 'f2', 'f3', 'floor', 'f4', 'f5', 'f6', 'f7', 'floor', 'f8', 'f9']);
  });

  it('gathers every sample of a subject listed more than once under one name', () => {
    const directory = mkdtempSync(join(tmpdir(), 'init-times-'));
    const module = (name: string) => {
      const file = join(directory, `${name}.mjs`);
      writeFileSync(file, 'export const handler = async () => ({});\n');
      return { name, file, environment: {} };
    };
    const floor = module('floor');
    const timings = measureInitTimes(withAnchorThroughout(floor, [module('a'), module('b'), module('c')], 2), 3);
    expect(timings.map((timing) => [timing.name, timing.samplesMs.length])).toEqual([
      ['floor', 6],
      ['a', 3],
      ['b', 3],
      ['c', 3],
    ]);
    expect(timings.every((timing) => timing.error === undefined && timing.medianMs > 0)).toBe(true);
  });
});
