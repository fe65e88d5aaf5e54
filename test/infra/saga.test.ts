import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { orderSaga, placeholdersIn, type SagaPlaceholder } from '../../statemachines/order-saga';
import { projectRoot } from '../../stacks/constructs/order-function';
import {
  allEnvironments,
  asArray,
  policyStatements,
  resourcesOfType,
  synthApp,
  type SynthesizedApp,
} from './synth-app';

const definitionText = fs.readFileSync(path.join(projectRoot, orderSaga.definitionFile), 'utf8');
const taskPlaceholders = Object.keys(orderSaga.tasks).sort();

function stateMachineOf(app: SynthesizedApp) {
  const machines = Object.entries(resourcesOfType(app.serviceTemplate, 'AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const [id, machine] = machines[0]!;
  return { id, properties: machine.Properties! };
}

describe('order saga definition', () => {
  it('uses exactly one placeholder per saga task', () => {
    expect(placeholdersIn(definitionText)).toEqual(taskPlaceholders);
  });
});

describe.each(allEnvironments)('order saga (%s)', (envName) => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp(envName);
  });

  it('follows the configured workflow type, logs to its own log group and traces', () => {
    const { properties } = stateMachineOf(app);
    expect(properties.StateMachineType).toBe(app.config.sagaWorkflowType);
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    const logging = properties.LoggingConfiguration as {
      Level: string;
      IncludeExecutionData: boolean;
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }[];
    };
    if (app.config.sagaWorkflowType === 'EXPRESS') expect(logging.Level).toBe('ALL');
    const logGroupId = logging.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    const logGroup = resourcesOfType(app.serviceTemplate, 'AWS::Logs::LogGroup')[logGroupId];
    expect(logGroup?.Properties?.RetentionInDays).toBe(app.config.logRetentionDays);
  });

  it('substitutes exactly the placeholders of the ASL file, each with its task function live alias', () => {
    const { properties } = stateMachineOf(app);
    const substitutions = properties.DefinitionSubstitutions as Record<string, { Ref: string }>;
    expect(Object.keys(substitutions).sort()).toEqual(placeholdersIn(definitionText));
    const aliases = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Alias');
    for (const [placeholder, value] of Object.entries(substitutions)) {
      const fn = app.service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
      expect(value).toEqual({ Ref: app.service.getLogicalId(fn.alias.node.defaultChild as CfnElement) });
      expect(aliases[value.Ref]?.Properties?.Name).toBe('live');
      expect(fn.function.node.path).toContain('Saga');
    }
  });

  it('builds each task function from the handler module the saga names', () => {
    for (const [placeholder, handlerModule] of Object.entries(orderSaga.tasks)) {
      const fn = app.service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
      const resource = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function')[
        app.service.getLogicalId(fn.function.node.defaultChild as CfnElement)
      ];
      expect(resource?.Properties?.Description).toBe(handlerModule);
    }
  });

  it('lets the state machine role invoke every task function, and nothing else in Lambda', () => {
    const { properties } = stateMachineOf(app);
    const roleId = (properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policies = resourcesOfType(app.serviceTemplate, 'AWS::IAM::Policy');
    const rolePolicyIds = Object.keys(policies).filter((id) =>
      JSON.stringify(policies[id]?.Properties?.Roles).includes(`"${roleId}"`),
    );
    const invokable = policyStatements(app.serviceTemplate)
      .filter(({ policyId }) => rolePolicyIds.includes(policyId))
      .filter(({ statement }) => asArray(statement.Action).includes('lambda:InvokeFunction'))
      .flatMap(({ statement }) => asArray(statement.Resource));
    const substitutions = Object.values(properties.DefinitionSubstitutions as Record<string, unknown>);
    expect(invokable).toEqual(expect.arrayContaining(substitutions));
    expect(invokable).toHaveLength(substitutions.length);
  });

  it('ends each task function before its state times out', () => {
    const states = (
      JSON.parse(definitionText) as { States: Record<string, { Resource?: string; TimeoutSeconds?: number }> }
    ).States;
    for (const state of Object.values(states)) {
      const placeholder = state.Resource ? placeholdersIn(state.Resource)[0] : undefined;
      if (!placeholder || state.TimeoutSeconds === undefined) continue;
      const fn = app.service.sagaFunctions.get(placeholder as SagaPlaceholder)!;
      const resource = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function')[
        app.service.getLogicalId(fn.function.node.defaultChild as CfnElement)
      ];
      expect(resource?.Properties?.Timeout).toBeLessThan(state.TimeoutSeconds);
    }
  });

  it('gives place-order the state machine ARN and states:StartExecution on it', () => {
    const { id } = stateMachineOf(app);
    const placeOrder = app.service.routeFunctions.get('placeOrder')!;
    const fnId = app.service.getLogicalId(placeOrder.function.node.defaultChild as CfnElement);
    const fn = resourcesOfType(app.serviceTemplate, 'AWS::Lambda::Function')[fnId];
    expect((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.STATE_MACHINE_ARN).toEqual(
      {
        Ref: id,
      },
    );
    const policyId = app.service.getLogicalId(
      placeOrder.role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement,
    );
    const starts = policyStatements(app.serviceTemplate).filter(
      ({ policyId: candidate, statement }) =>
        candidate === policyId && asArray(statement.Action).includes('states:StartExecution'),
    );
    expect(starts.map(({ statement }) => statement.Resource)).toEqual([{ Ref: id }]);
  });
});

describe('order saga as a Standard workflow', () => {
  it('follows sagaWorkflowType from config and logs errors only outside DEBUG environments', () => {
    const app = synthApp('staging', { configOverrides: { sagaWorkflowType: 'STANDARD' } });
    const { properties } = stateMachineOf(app);
    expect(properties.StateMachineType).toBe('STANDARD');
    expect((properties.LoggingConfiguration as { Level: string }).Level).toBe('ERROR');
  });
});
