import { buildPlan, classify, describeClientErrors, parseMix, pickKind } from '../../bench/lib/load-plan';

describe('request mix', () => {
  it('parses weights and leaves unnamed kinds at 0', () => {
    expect(parseMix('place-order=1, list-products=3')).toEqual({
      'place-order': 1,
      'get-order': 0,
      'list-products': 3,
    });
  });

  it('rejects unknown kinds, bad weights and an all-zero mix with a message naming the problem', () => {
    expect(() => parseMix('delete-everything=1')).toThrow('unknown request kind "delete-everything"');
    expect(() => parseMix('place-order=-1')).toThrow('weight of place-order');
    expect(() => parseMix('place-order=0')).toThrow('at least one weight');
  });

  it('picks kinds in proportion to their weights and never one weighing 0', () => {
    const mix = { 'place-order': 1, 'get-order': 0, 'list-products': 3 };
    expect(pickKind(mix, 0)).toBe('place-order');
    expect(pickKind(mix, 0.24)).toBe('place-order');
    expect(pickKind(mix, 0.25)).toBe('list-products');
    expect(pickKind(mix, 0.9999)).toBe('list-products');
    const picks = Array.from({ length: 1000 }, (_, index) => pickKind(mix, index / 1000));
    expect(picks.filter((kind) => kind === 'place-order')).toHaveLength(250);
    expect(picks).not.toContain('get-order');
  });
});

describe('phases', () => {
  it('ramps in equal steps up to the steady connections, then spikes', () => {
    const plan = buildPlan({
      rampSeconds: 20,
      rampSteps: 4,
      steadySeconds: 40,
      spikeSeconds: 15,
      connections: 16,
      spikeConnections: 64,
    });
    expect(plan.map((step) => [step.label, step.connections, step.seconds])).toEqual([
      ['ramp 1/4', 4, 5],
      ['ramp 2/4', 8, 5],
      ['ramp 3/4', 12, 5],
      ['ramp 4/4', 16, 5],
      ['steady', 16, 40],
      ['spike', 64, 15],
    ]);
  });

  it('leaves out phases of 0 s and never ramps in more steps than connections', () => {
    const plan = buildPlan({
      rampSeconds: 6,
      rampSteps: 10,
      steadySeconds: 0,
      spikeSeconds: 0,
      connections: 3,
      spikeConnections: 9,
    });
    expect(plan.map((step) => step.connections)).toEqual([1, 2, 3]);
  });
});

describe('error classes', () => {
  it('sorts status counts into 2xx, 4xx by status and 5xx, and separates timeouts from other errors', () => {
    const classes = classify(
      { '200': { count: 90 }, '202': { count: 5 }, '404': { count: 2 }, '429': { count: 7 }, '503': { count: 1 } },
      4,
      3,
    );
    expect(classes).toEqual({
      ok2xx: 95,
      other3xx: 0,
      clientErrors: { '404': 2, '429': 7 },
      server5xx: 1,
      timeouts: 3,
      connectionErrors: 1,
    });
    expect(describeClientErrors(classes.clientErrors)).toBe('429×7, 404×2');
    expect(describeClientErrors({})).toBe('–');
  });
});
