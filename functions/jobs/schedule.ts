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
  'forecast-demand': {
    handler: 'functions/jobs/forecast-demand.ts',
    // Just after midnight UTC: yesterday's sales are complete (the sales history counts by UTC day).
    schedule: 'cron(15 0 * * ? *)',
    everySeconds: 86_400,
    description:
      'Forecasts the next 28 days of demand per active product and suggests reorders below the reorder point',
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof jobs;
