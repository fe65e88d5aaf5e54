import type { CfnElement } from 'aws-cdk-lib';
import { asArray, policyStatements, synthApp, type SynthesizedApp } from './synth-app';

/** GET /health/ready may check the table and the saga exist, and do nothing else with them. */
describe('readiness function grants (dev)', () => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp('dev');
  });

  it('may describe the order saga and read table items, nothing more', () => {
    const fn = app.service.routeFunctions.get('healthReady')!;
    const policyId = app.service.getLogicalId(fn.role.node.findChild('DefaultPolicy').node.defaultChild as CfnElement);
    const statements = policyStatements(app.serviceTemplate)
      .filter((entry) => entry.policyId === policyId)
      .map(({ statement }) => statement);
    const granted = (prefix: string) =>
      statements.filter((statement) => asArray(statement.Action).some((action) => action.startsWith(prefix)));

    const states = granted('states:');
    expect(states.map((statement) => [asArray(statement.Action), asArray(statement.Resource)])).toEqual([
      [
        ['states:DescribeStateMachine'],
        [{ Ref: app.service.getLogicalId(app.service.stateMachine.node.defaultChild as CfnElement) }],
      ],
    ]);

    const dynamodb = granted('dynamodb:');
    expect(dynamodb).toHaveLength(1);
    expect(asArray(dynamodb[0]!.Action).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    // The table itself, none of its indexes.
    expect(JSON.stringify(dynamodb[0]!.Resource)).toMatch(
      /^\{"Fn::ImportValue":"Orders-dev-Data:[^"]*OrdersTable\w*Arn\w*"\}$/,
    );

    const other = statements
      .flatMap((statement) => asArray(statement.Action))
      .filter((action) => !/^(states|dynamodb|kms|logs|xray):/.test(action));
    expect(other).toEqual([]);
  });
});
