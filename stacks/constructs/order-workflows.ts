import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import {
  orderSaga,
  placeholdersIn,
  sagaTasks,
  stateMachines,
  type SagaPlaceholder,
  type StateMachineDefinition,
} from '../../statemachines/order-saga';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { perStackInstanceName } from '../physical-names';
import { dataRemovalPolicy, logRetention } from '../retention';
import { constructId } from './construct-ids';
import { bindNeeds, sagaTaskNeeds, type SharedResources } from './function-needs';
import { OrderFunction, projectRoot } from './order-function';

interface AslTaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
}

export interface LoadedDefinition {
  readonly definition: StateMachineDefinition;
  readonly file: string;
  /** The machine's own TimeoutSeconds (Express workflows stop at 300 s without one). */
  readonly timeLimitSeconds: number;
  /** The state timeout of each task placeholder (the shortest, if a placeholder is used by several states). */
  readonly taskTimeouts: ReadonlyMap<string, number>;
}

/**
 * Reads an ASL file once and checks it uses exactly the task placeholders its definition declares: a missing
 * substitution would only fail at deploy time, an extra one would invoke a function nobody granted.
 */
function loadDefinition(definition: StateMachineDefinition): LoadedDefinition {
  const file = path.join(projectRoot, definition.definitionFile);
  const text = fs.readFileSync(file, 'utf8');
  const used = placeholdersIn(text);
  const declared = [...definition.tasks].sort();
  if (used.join() !== declared.join()) {
    throw new Error(`${definition.definitionFile} uses ${used.join(', ')} but declares ${declared.join(', ')}`);
  }
  const parsed = JSON.parse(text) as { TimeoutSeconds?: number; States: Record<string, AslTaskState> };
  const states = parsed.States;
  const taskTimeouts = new Map<string, number>();
  for (const state of Object.values(states)) {
    const placeholder = state.Resource && placeholdersIn(state.Resource)[0];
    if (state.Type === 'Task' && placeholder && state.TimeoutSeconds !== undefined) {
      taskTimeouts.set(placeholder, Math.min(state.TimeoutSeconds, taskTimeouts.get(placeholder) ?? Infinity));
    }
  }
  return { definition, file, taskTimeouts, timeLimitSeconds: parsed.TimeoutSeconds ?? 300 };
}

export interface OrderWorkflowsProps extends SharedResources {
  readonly envName: string;
}

/**
 * The saga task functions (one per placeholder, shared by every machine that uses it) and the state machines loaded
 * from statemachines/. Not a construct of its own: the functions and machines are created directly in `scope`, so
 * their logical ids stay those of the stack's direct children they have always been.
 */
export class OrderWorkflows {
  readonly sagaFunctions: ReadonlyMap<SagaPlaceholder, OrderFunction>;
  /** Every state machine, by its definition's name (`saga`, `cancellation`). */
  readonly stateMachines: ReadonlyMap<string, sfn.StateMachine>;
  readonly definitions: readonly LoadedDefinition[];

  constructor(
    private readonly scope: Construct,
    private readonly props: OrderWorkflowsProps,
  ) {
    this.definitions = stateMachines.map(loadDefinition);
    const sagaFunctions = new Map<SagaPlaceholder, OrderFunction>();
    for (const [placeholder, handlerModule] of Object.entries(sagaTasks) as [SagaPlaceholder, string][]) {
      const timeouts = this.definitions.flatMap(({ taskTimeouts }) => taskTimeouts.get(placeholder) ?? []);
      const stateTimeout = timeouts.length > 0 ? Math.min(...timeouts) : 10;
      const fn = new OrderFunction(scope, `Saga${constructId(placeholder)}`, {
        handlerModule,
        config: props.config,
        serviceName: 'orders-saga',
        // Ends before the state's own timeout, so a retry never overlaps an attempt that is still running.
        timeout: Duration.seconds(Math.max(3, stateTimeout - 2)),
      });
      sagaFunctions.set(placeholder, bindNeeds(fn, sagaTaskNeeds[placeholder], props));
    }
    this.sagaFunctions = sagaFunctions;
    this.stateMachines = new Map(
      this.definitions.map((loaded) => [loaded.definition.name, this.createStateMachine(loaded)]),
    );
  }

  machineFor(definition: StateMachineDefinition): sfn.StateMachine {
    const machine = this.stateMachines.get(definition.name);
    if (!machine) throw new Error(`no state machine ${definition.name}`);
    return machine;
  }

  /** The order saga's own time limit: recovery must not restart a saga that may still be running. */
  get sagaTimeLimitSeconds(): number {
    return this.definitions.find(({ definition }) => definition === orderSaga)?.timeLimitSeconds ?? 300;
  }

  /** One state machine from its ASL file, each task placeholder substituted with its function's live alias. */
  private createStateMachine({ definition, file }: LoadedDefinition): sfn.StateMachine {
    const { config, envName } = this.props;
    const name = constructId(definition.name);
    const express = config.sagaWorkflowType === 'EXPRESS';
    const logLevel = workflowLogLevel(config);
    const logGroup = new logs.LogGroup(this.scope, `${name}Logs`, {
      // The /aws/vendedlogs/ prefix keeps CloudWatch's account-wide resource policy from growing per log group; the
      // stack id keeps a retained group of a deleted stack from blocking the next one.
      logGroupName: perStackInstanceName(`/aws/vendedlogs/states/orders-${envName}-${definition.name}`),
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    const tasks = definition.tasks.map((placeholder) => {
      const fn = this.sagaFunctions.get(placeholder);
      if (!fn) throw new Error(`no function for task ${placeholder} of ${definition.name}`);
      return [placeholder, fn] as const;
    });
    const machine = new sfn.StateMachine(this.scope, `Order${name}`, {
      // No fixed name: switching sagaWorkflowType replaces the state machine, which a fixed name would make fail.
      stateMachineType: express ? sfn.StateMachineType.EXPRESS : sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(file),
      definitionSubstitutions: Object.fromEntries(
        tasks.map(([placeholder, fn]) => [placeholder, fn.alias.functionArn]),
      ),
      tracingEnabled: true,
      // Inputs carry ids only (AuthorizePayment reads the payment method from the order): see logsExecutionData.
      logs: { destination: logGroup, level: logLevel, includeExecutionData: definition.logsExecutionData },
    });
    // fromFile ships the ASL as is and infers no permissions: invoking each task's alias is granted explicitly.
    for (const [, fn] of tasks) fn.alias.grantInvoke(machine);
    Validations.of(machine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'CloudWatch Logs delivery (logs:CreateLogDelivery and related) and X-Ray (xray:PutTraceSegments and related) ' +
        'support no resource-level permissions; Lambda invocations are granted per alias.',
    });
    if (logLevel !== sfn.LogLevel.ALL) {
      Validations.of(machine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          'Outside DEBUG environments a run is recorded without its step-by-step log: a Standard workflow keeps its ' +
          'execution history in Step Functions, and every saga step of either type writes its outcome to the ' +
          "order's history (with its event) and to X-Ray. Failed executions are logged in full, with their data.",
      });
    }
    return machine;
  }
}

/**
 * ALL in DEBUG environments, ERROR elsewhere, for Express workflows too. An Express workflow keeps no execution
 * history, but the saga's record of a run is the order's own: each step writes its outcome and event to the order's
 * history (GET /orders/{orderId}/history), and sampled runs reach X-Ray. Logging every event of every run with its
 * data was 12.9 KB per order, the largest log line of the bill (npm run bench, part 4); a failed run is still logged
 * in full.
 */
export function workflowLogLevel(config: Pick<EnvironmentConfig, 'logLevel'>): sfn.LogLevel {
  return config.logLevel === 'DEBUG' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR;
}
