import { envNames } from '../../functions/core/config/settings';
import { outboxRelay } from '../../functions/relays/definitions';
import { asArray, describeEachEnvironment, policyStatements, resourcesOfType } from './synth-app';
import { defaultPolicyStatements, environmentOf, logicalIdOf, serviceResource } from './template-helpers';

describeEachEnvironment('outbox relay', (app) => {
  it('reads the table stream from its oldest record, in order, with batch item failures, a filter and a DLQ', () => {
    const { outboxRelay: relay } = app().service;
    const mapping = serviceResource(
      app(),
      'AWS::Lambda::EventSourceMapping',
      logicalIdOf(app(), relay.eventSourceMapping),
    ).Properties!;
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: outboxRelay.batchSize,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: false,
      MaximumRetryAttempts: 10_000,
      MaximumRecordAgeInSeconds: 24 * 60 * 60,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalIdOf(app(), relay.deadLetterQueue), 'Arn'] } },
      },
    });
    // The live alias (what a release moves), and the table's own stream (exported by the data stack).
    expect(JSON.stringify(mapping.FunctionName)).toContain(`"Ref":"${logicalIdOf(app(), relay.function.alias)}"`);
    expect(JSON.stringify(mapping.EventSourceArn)).toMatch(/StreamArn/);
    const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern) as unknown)).toEqual([outboxRelay.filterPattern]);
  });

  it('is the only function that publishes to the bus, and it only reads the stream', () => {
    const { outboxRelay: relay, eventBus } = app().service;
    expect(environmentOf(app(), relay.function)[envNames.events.eventBusName]).toEqual({
      Ref: logicalIdOf(app(), eventBus),
    });
    const relayActions = defaultPolicyStatements(app(), relay.function.role).flatMap((s) => asArray(s.Action));
    expect(relayActions).toEqual(expect.arrayContaining(['events:PutEvents', 'dynamodb:GetRecords']));
    expect(
      relayActions.filter((action) =>
        /^dynamodb:(Get|Put|Update|Delete|Query|Scan|Batch)Item|^dynamodb:Query|^dynamodb:Scan/.test(action),
      ),
    ).toEqual([]);
    const publishers = policyStatements(app().serviceTemplate).filter(({ statement }) =>
      asArray(statement.Action).includes('events:PutEvents'),
    );
    expect(publishers.map(({ policyId }) => policyId)).toEqual([
      logicalIdOf(app(), relay.function.role.node.findChild('DefaultPolicy')),
    ]);
    const withBus = Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')).filter(
      ([, fn]) =>
        (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
          envNames.events.eventBusName
        ] !== undefined,
    );
    expect(withBus.map(([id]) => id)).toEqual([logicalIdOf(app(), relay.function.function)]);
  });

  it('pages when events wait in the stream or a batch is given up', () => {
    const alarms = app().service.alarms;
    expect(alarms.severities.get('OutboxRelayBehind')).toBe('page');
    expect(alarms.severities.get('OutboxRelayGaveUp')).toBe('page');
  });
});
