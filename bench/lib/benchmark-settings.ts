import { parseArgs } from 'node:util';
import { positiveInteger, UsageError } from './cli-options';

/** What `npm run bench` measures and for how long (its command line, with --quick's shorter defaults). */

export const partNames = ['cold-start', 'per-order', 'throughput', 'cost', 'models', 'webhooks'] as const;
export type Part = (typeof partNames)[number];

export interface Settings {
  readonly quick: boolean;
  readonly parts: ReadonlySet<Part>;
  /** Fresh Node processes per function for the init time median. */
  readonly spawns: number;
  /** Orders of the per-order window. */
  readonly orders: number;
  /** Calls per API route in the per-call windows. */
  readonly calls: number;
  readonly concurrency: readonly number[];
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly rawSeconds: number;
}

/** The modelled order: POST /orders, then one GET /orders/{id} by the client to see the outcome. */

export function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      orders: { type: 'string' },
      spawns: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const parts = values.only
    ? values.only.split(',').map((part) => {
        if (!(partNames as readonly string[]).includes(part)) {
          throw new UsageError(`--only takes ${partNames.join(', ')}; got "${part}"`);
        }
        return part as Part;
      })
    : [...partNames];
  const quick = values.quick ?? false;
  const concurrency = (values.concurrency ?? '8,32').split(',').map((raw) => positiveInteger('concurrency', raw, 1));
  return {
    quick,
    parts: new Set(parts),
    spawns: positiveInteger('spawns', values.spawns, quick ? 3 : 7),
    orders: positiveInteger('orders', values.orders, quick ? 15 : 40),
    calls: quick ? 8 : 20,
    concurrency,
    warmupSeconds: quick ? 2 : 3,
    durationSeconds: positiveInteger('duration', values.duration, quick ? 8 : 20),
    rawSeconds: quick ? 3 : 5,
  };
}
