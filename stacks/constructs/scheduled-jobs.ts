import { keys } from '../../functions/core/data/table-design';
import { grantPartitionItems } from './table-grants';
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { jobs, type JobName } from '../../functions/jobs/schedule';
import { constructId } from './construct-ids';
import { bindNeeds, jobNeeds, type SharedResources } from './function-needs';
import { OrderFunction } from './order-function';
import type { OrderWorkflows } from './order-workflows';

/** The period of a `rate(...)` schedule expression; undefined for `cron(...)`. */
export function ratePeriod(expression: string): Duration | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2]!.replace(/s$/, '');
  return unit === 'minute' ? Duration.minutes(value) : unit === 'hour' ? Duration.hours(value) : Duration.days(value);
}

export interface ScheduledJobsProps extends SharedResources {
  readonly envName: string;
  readonly workflows: OrderWorkflows;
}

/**
 * One function and one EventBridge schedule per job of functions/jobs/schedule.ts, in the primary region only (the
 * stack's region): the jobs read and restart what the primary region writes, and a second region running them would
 * race the first. Not a construct of its own, so the logical ids stay those of the stack's direct children.
 */
export class ScheduledJobs {
  readonly functions: ReadonlyMap<JobName, OrderFunction>;
  readonly schedules: ReadonlyMap<JobName, events.Rule>;

  constructor(scope: Construct, props: ScheduledJobsProps) {
    const { config, envName, workflows } = props;
    const sagaTimeLimit = workflows.sagaTimeLimitSeconds;
    if (config.jobs.recoveryAfterSeconds <= sagaTimeLimit) {
      throw new Error(
        `jobs.recoveryAfterSeconds (${config.jobs.recoveryAfterSeconds}) must exceed the saga's time limit ` +
          `(${sagaTimeLimit} s), or recover-orders would restart sagas that are still running`,
      );
    }
    const functions = new Map<JobName, OrderFunction>();
    const schedules = new Map<JobName, events.Rule>();
    for (const [name, job] of Object.entries(jobs) as [JobName, (typeof jobs)[JobName]][]) {
      const needs = jobNeeds[name];
      const period = ratePeriod(job.schedule);
      if (period && needs.timeout.toSeconds() >= period.toSeconds()) {
        throw new Error(`job ${name} may run longer than its schedule's period (${job.schedule})`);
      }
      const id = `Job${constructId(name)}`;
      const fn = new OrderFunction(scope, id, {
        handlerModule: job.handler,
        config,
        serviceName: 'orders-jobs',
        description: `${name}: ${job.description}`,
        timeout: needs.timeout,
        ...(needs.memorySize ? { memorySize: needs.memorySize } : {}),
        ...(needs.reservedConcurrentExecutions
          ? { reservedConcurrentExecutions: needs.reservedConcurrentExecutions }
          : {}),
      });
      for (const workflow of [needs.startsWorkflow, ...(needs.alsoStartsWorkflows ?? [])]) {
        if (workflow) fn.startWorkflow(workflows.machineFor(workflow), workflow.arnEnvName);
      }
      if (needs.scansTable) fn.scanTable(props.table);
      if (needs.recoversOrders) fn.recoverOrdersAfter(config.jobs.recoveryAfterSeconds);
      if (needs.reconciles) {
        fn.reconcileWith(config.jobs.reconcile ?? {});
        // Besides its Scan: the region role (a standby only reads) and the findings of stock sold twice, each
        // carrying its inventory.oversold event (docs/regions.md). No other item may it write.
        grantPartitionItems(fn.role, props.table, keys.regionRole.PK, 'get');
        grantPartitionItems(fn.role, props.table, `${keys.oversold('').PK}*`, 'put');
      }
      if (needs.forecastsDemand) fn.applyInventoryPolicy(config.inventory);
      bindNeeds(fn, needs, props);
      // A failed run is not retried by Lambda: the next scheduled run is the retry, and the error alarm pages.
      // A run that cannot start at once (reserved concurrency busy) waits at most one period.
      const maxEventAge = period && period.toSeconds() <= 6 * 3600 ? period : Duration.hours(6);
      fn.alias.configureAsyncInvoke({ retryAttempts: 0, maxEventAge });
      schedules.set(
        name,
        new events.Rule(scope, `${id}Schedule`, {
          ruleName: `orders-${envName}-${name}`,
          description: job.description,
          schedule: events.Schedule.expression(job.schedule),
          targets: [new eventTargets.LambdaFunction(fn.alias, { retryAttempts: 2, maxEventAge })],
        }),
      );
      functions.set(name, fn);
    }
    this.functions = functions;
    this.schedules = schedules;
  }
}
