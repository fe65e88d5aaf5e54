/**
 * Scheduled jobs: CDK gives each a function and an EventBridge schedule; the local runtime runs the same handler
 * modules on the same cadence (and on demand through POST /local/jobs/<name>).
 */
export interface JobDefinition {
  readonly handler: string;
  /** EventBridge schedule expression. */
  readonly schedule: string;
  /** The same cadence offline, in seconds. */
  readonly everySeconds: number;
  readonly description: string;
}

export const jobs = {
  'recover-orders': {
    handler: 'functions/jobs/recover-orders.ts',
    schedule: 'rate(1 minute)',
    everySeconds: 60,
    description: 'Restarts the saga of orders left in flight longer than any execution can live',
  },
  reconcile: {
    handler: 'functions/jobs/reconcile.ts',
    schedule: 'rate(1 hour)',
    everySeconds: 3600,
    description: 'Checks stock, payment and order invariants and reports every violation',
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof jobs;
