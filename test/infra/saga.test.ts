import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RouteId } from '../../functions/api/routes';
import type { JobName } from '../../functions/jobs/schedule';
import { envNames } from '../../functions/core/config/settings';
import {
  orderCancellation,
  orderContinuation,
  orderSaga,
  placeholdersIn,
  sagaTasks,
  stateMachines,
  type SagaPlaceholder,
  type StateMachineDefinition,
} from '../../statemachines/order-saga';
import { projectRoot } from '../../stacks/constructs/order-function';
import {
  asArray,
  describeEachEnvironment,
  policyStatements,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';
import { environmentOf, logicalIdOf, type GetAtt } from './template-helpers';

const definitionText = (definition: StateMachineDefinition): string =>
  fs.readFileSync(path.join(projectRoot, definition.definitionFile), 'utf8');

function stateMachineOf(app: SynthesizedApp, definition: StateMachineDefinition) {
  const machine = app.service.stateMachines.get(definition.name);
  expect(machine).toBeDefined();
  const id = logicalIdOf(app, machine!);
  const resource = resourcesOfType(app.serviceTemplate, 'AWS::StepFunctions::StateMachine')[id];
  expect(resource).toBeDefined();
  return { id, properties: resource!.Properties! };
}

const machineCases = stateMachines.map((definition) => [definition.name, definition] as const);

/**
 * Which route starts which machine (through the variable the machine's definition names), and which jobs may start
 * it too: recover-orders restarts the sagas of orders stuck in flight.
 */
const starters: readonly [string, string, readonly RouteId[], StateMachineDefinition, readonly JobName[]][] = [
  ['the order saga', 'placeOrder', ['placeOrder'], orderSaga, ['recover-orders']],
  // The owner's cancel and the admins' run one use case. Recovery reruns the compensations (the cancellation
  // workflow) of orders whose pending entry is due.
  [
    'the cancellation workflow',
    'cancelOrder, adminCancelOrder',
    ['cancelOrder', 'adminCancelOrder'],
    orderCancellation,
    ['recover-orders'],
  ],
  // Held orders: whoever records the decision starts it (the owner's confirm, the webhook, an admin's review);
  // recovery for the expired ones and for continuations that died.
  [
    'the continuation workflow',
    'confirmPayment, stripeWebhook, adminApproveReview, adminRejectReview',
    ['confirmPayment', 'stripeWebhook', 'adminApproveReview', 'adminRejectReview'],
    orderContinuation,
    ['recover-orders'],
  ],
];

describe('state machine definitions', () => {
  it.each(machineCases)('%s uses exactly one placeholder per declared task', (_name, definition) => {
    expect(placeholdersIn(definitionText(definition))).toEqual([...definition.tasks].sort());
  });

  it('declares only tasks that have a handler, and every task is used by some machine', () => {
    const used = new Set(stateMachines.flatMap((definition) => definition.tasks));
    expect([...used].sort()).toEqual(Object.keys(sagaTasks).sort());
  });

  it('names the variables the handlers read', () => {
    expect(orderSaga.arnEnvName).toBe(envNames.orderWorkflow.stateMachineArn);
    expect(orderCancellation.arnEnvName).toBe(envNames.cancellationWorkflow.stateMachineArn);
  });
});

describeEachEnvironment('state machines', (app, envName) => {
  it('creates one state machine per definition, and one function per saga task', () => {
    app().serviceTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', stateMachines.length);
    expect([...app().service.sagaFunctions.keys()].sort()).toEqual(Object.keys(sagaTasks).sort());
    expect(app().service.stateMachine).toBe(app().service.stateMachines.get(orderSaga.name));
  });

  it.each(machineCases)(
    '%s follows the configured workflow type, logs to its own log group and traces',
    (name, definition) => {
      const { properties } = stateMachineOf(app(), definition);
      // No fixed name: a switch of workflow type replaces the machine (docs/deploy.md, "Physical names").
      expect(properties.StateMachineName).toBeUndefined();
      expect(properties.StateMachineType).toBe(app().config.sagaWorkflowType);
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = properties.LoggingConfiguration as {
        Level: string;
        IncludeExecutionData: boolean;
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: GetAtt } }[];
      };
      // Every step's outcome is in the order's history; the workflow logs each event only in DEBUG environments.
      expect(logging.Level).toBe(app().config.logLevel === 'DEBUG' ? 'ALL' : 'ERROR');
      expect(logging.IncludeExecutionData).toBe(definition.logsExecutionData);
      const logGroupId = logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      const logGroup = resourcesOfType(app().serviceTemplate, 'AWS::Logs::LogGroup')[logGroupId];
      expect(logGroup?.Properties?.RetentionInDays).toBe(app().config.logRetentionDays);
      const logGroupName = JSON.stringify(logGroup?.Properties?.LogGroupName);
      expect(logGroupName).toContain(`/aws/vendedlogs/states/orders-${envName}-${name}-`);
      expect(logGroupName).toContain('AWS::StackId');
    },
  );

  it.each(machineCases)(
    '%s substitutes exactly its placeholders, each with its task function live alias',
    (_name, definition) => {
      const { properties } = stateMachineOf(app(), definition);
      const substitutions = properties.DefinitionSubstitutions as Record<string, { Ref: string }>;
      expect(Object.keys(substitutions).sort()).toEqual(placeholdersIn(definitionText(definition)));
      expect(Object.keys(substitutions).sort()).toEqual([...definition.tasks].sort());
      const aliases = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Alias');
      for (const [placeholder, value] of Object.entries(substitutions)) {
        const fn = app().service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
        expect(value).toEqual({ Ref: logicalIdOf(app(), fn.alias) });
        expect(aliases[value.Ref]?.Properties?.Name).toBe('live');
        expect(fn.function.node.path).toContain('Saga');
      }
    },
  );

  it.each(machineCases)('%s role can invoke each of its task aliases, and nothing else in Lambda', (_name, def) => {
    const { properties } = stateMachineOf(app(), def);
    const roleId = (properties.RoleArn as GetAtt)['Fn::GetAtt'][0];
    const policies = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Policy');
    const rolePolicyIds = Object.keys(policies).filter((id) =>
      JSON.stringify(policies[id]?.Properties?.Roles).includes(`"${roleId}"`),
    );
    const lambdaStatements = policyStatements(app().serviceTemplate)
      .filter(({ policyId }) => rolePolicyIds.includes(policyId))
      .filter(({ statement }) => asArray(statement.Action).some((action) => action.startsWith('lambda:')));
    for (const { statement } of lambdaStatements) expect(asArray(statement.Action)).toEqual(['lambda:InvokeFunction']);
    const invokable = lambdaStatements.flatMap(({ statement }) => asArray(statement.Resource));
    const substitutions = Object.values(properties.DefinitionSubstitutions as Record<string, unknown>);
    expect(invokable).toEqual(expect.arrayContaining(substitutions));
    expect(invokable).toHaveLength(substitutions.length);
  });

  it('builds each task function from the handler module the saga names', () => {
    for (const [placeholder, handlerModule] of Object.entries(sagaTasks)) {
      const fn = app().service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
      const resource = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')[logicalIdOf(app(), fn.function)];
      expect(resource?.Properties?.Description).toBe(handlerModule);
    }
  });

  it.each(machineCases)('%s: each task function ends before its state times out', (_name, definition) => {
    const states = (
      JSON.parse(definitionText(definition)) as {
        States: Record<string, { Resource?: string; TimeoutSeconds?: number }>;
      }
    ).States;
    for (const state of Object.values(states)) {
      const placeholder = state.Resource ? placeholdersIn(state.Resource)[0] : undefined;
      if (!placeholder || state.TimeoutSeconds === undefined) continue;
      const fn = app().service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
      const resource = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')[logicalIdOf(app(), fn.function)];
      expect(resource?.Properties?.Timeout).toBeLessThan(state.TimeoutSeconds);
    }
  });

  it.each(starters)(
    'only %s starters (%s) and its jobs get its ARN and states:StartExecution on it',
    (_what, _routes, routeIds, def, jobNames) => {
      const { id } = stateMachineOf(app(), def);
      const starts = policyStatements(app().serviceTemplate).filter(({ statement }) =>
        asArray(statement.Action).includes('states:StartExecution'),
      );
      const policyIds: string[] = [];
      for (const starter of [
        ...routeIds.map((routeId) => app().service.routeFunctions.get(routeId)!),
        ...jobNames.map((job) => app().service.jobFunctions.get(job)!),
      ]) {
        expect(environmentOf(app(), starter)[def.arnEnvName]).toEqual({ Ref: id });
        const policyId = logicalIdOf(app(), starter.role.node.findChild('DefaultPolicy'));
        const started = starts
          .filter((entry) => entry.policyId === policyId)
          .map(({ statement }) => statement.Resource);
        // Every starter gets this machine; only recover-orders also gets the others (it starts all three).
        expect(started).toContainEqual({ Ref: id });
        expect(started).toHaveLength(starter === app().service.jobFunctions.get('recover-orders') ? 3 : 1);
        policyIds.push(policyId);
      }
      // No other function may start this machine.
      const startersOfThis = starts.filter(({ statement }) => JSON.stringify(statement.Resource) === `{"Ref":"${id}"}`);
      expect(startersOfThis.map((entry) => entry.policyId).sort()).toEqual(policyIds.sort());
    },
  );

  it('outputs each state machine ARN', () => {
    app().serviceTemplate.hasOutput('StateMachineArn', { Value: { Ref: stateMachineOf(app(), orderSaga).id } });
    app().serviceTemplate.hasOutput('CancellationStateMachineArn', {
      Value: { Ref: stateMachineOf(app(), orderCancellation).id },
    });
    app().serviceTemplate.hasOutput('ContinuationStateMachineArn', {
      Value: { Ref: stateMachineOf(app(), orderContinuation).id },
    });
  });
});

describe('state machines as Standard workflows', () => {
  it('follow sagaWorkflowType from config and log errors only outside DEBUG environments', () => {
    const app = synthApp('staging', { configOverrides: { sagaWorkflowType: 'STANDARD' } });
    for (const definition of stateMachines) {
      const { properties } = stateMachineOf(app, definition);
      expect(properties.StateMachineType).toBe('STANDARD');
      expect((properties.LoggingConfiguration as { Level: string }).Level).toBe('ERROR');
    }
  });
});
