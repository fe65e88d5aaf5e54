import type { CfnElement } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { gatewayResponses } from '../../functions/api/gateway-responses';
import { routeList, routes, type RouteId } from '../../functions/api/routes';
import {
  firewallRetryAfterSeconds,
  managedRuleGroups,
  perCallerRuleName,
  rateLimitRuleName,
} from '../../stacks/constructs/api-firewall';
import { backupVaultName } from '../../stacks/constructs/table-backups';
import { cachedRouteIds } from '../../stacks/stage-cache';
import {
  asArray,
  cdkJsonContext,
  describeEachEnvironment,
  policyStatements,
  resourcesOfType,
  synthApp,
  type PolicyStatementJson,
  type SynthesizedApp,
} from './synth-app';
import { methodsByRoute, type Properties } from './template-helpers';

function onlyResource(template: Template, type: string): [string, Properties] {
  const entries = Object.entries(resourcesOfType(template, type));
  expect({ type, count: entries.length }).toEqual({ type, count: 1 });
  const [id, resource] = entries[0]!;
  return [id, resource.Properties ?? {}];
}

interface MethodSetting {
  HttpMethod: string;
  ResourcePath: string;
  CachingEnabled?: boolean;
  CacheTtlInSeconds?: number;
  CacheDataEncrypted?: boolean;
  [key: string]: unknown;
}

const cachedRoutes = routeList.filter((route) => (cachedRouteIds as readonly string[]).includes(route.id));

describeEachEnvironment('edge protection', (app, envName) => {
  it('puts a regional web ACL with the managed rule groups and a per-IP rate limit in front of the API stage', () => {
    const [aclId, acl] = onlyResource(app().serviceTemplate, 'AWS::WAFv2::WebACL');
    expect(acl).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = acl.Rules as {
      Name: string;
      Priority: number;
      Statement: Record<string, Record<string, unknown>>;
      OverrideAction?: Record<string, unknown>;
      Action?: Record<string, unknown>;
    }[];
    expect(new Set(rules.map((rule) => rule.Priority)).size).toBe(rules.length);

    const { firewall } = app().config.api;
    for (const group of managedRuleGroups) {
      const rule = rules.find((candidate) => candidate.Statement.ManagedRuleGroupStatement?.Name === group);
      expect({ group, vendor: rule?.Statement.ManagedRuleGroupStatement?.VendorName }).toEqual({
        group,
        vendor: 'AWS',
      });
      const countOnly = group === 'AWSManagedRulesAnonymousIpList' && firewall.anonymousIpAction === 'COUNT';
      expect({ group, override: rule?.OverrideAction }).toEqual({
        group,
        override: countOnly ? { Count: {} } : { None: {} },
      });
    }

    const rate = rules.find((rule) => rule.Name === rateLimitRuleName);
    expect(rate?.Statement.RateBasedStatement).toEqual({
      AggregateKeyType: 'IP',
      Limit: firewall.ipRateLimit,
      EvaluationWindowSec: firewall.ipRateWindowSeconds,
    });
    // The rate limit answers like the gateway's own throttle: 429, Retry-After, CORS, the problem body.
    const response = (rate?.Action as { Block: { CustomResponse: Properties } }).Block.CustomResponse;
    expect(response).toMatchObject({ ResponseCode: 429 });
    expect(response.ResponseHeaders).toEqual(
      expect.arrayContaining([
        { Name: 'Retry-After', Value: String(firewallRetryAfterSeconds) },
        { Name: 'Access-Control-Allow-Origin', Value: '*' },
      ]),
    );
    const bodies = acl.CustomResponseBodies as Record<string, { ContentType: string; Content: string }>;
    const body = bodies[response.CustomResponseBodyKey as string];
    expect(body?.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body!.Content)).toMatchObject({ status: 429, code: gatewayResponses.throttled.code });

    const [, association] = onlyResource(app().serviceTemplate, 'AWS::WAFv2::WebACLAssociation');
    expect(association.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    const [stageId] = onlyResource(app().serviceTemplate, 'AWS::ApiGateway::Stage');
    const [apiId] = onlyResource(app().serviceTemplate, 'AWS::ApiGateway::RestApi');
    const stageArn = JSON.stringify(association.ResourceArn);
    expect(stageArn).toContain(`/restapis/`);
    expect(stageArn).toContain(`{"Ref":"${apiId}"}`);
    expect(stageArn).toContain(`{"Ref":"${stageId}"}`);
  });

  it('limits each caller on the routes config names, keyed on its bearer token, answering 429 like the gateway', () => {
    const [, acl] = onlyResource(app().serviceTemplate, 'AWS::WAFv2::WebACL');
    const rules = acl.Rules as { Name: string; Statement: { RateBasedStatement?: Properties }; Action?: Properties }[];
    const limits = Object.entries(app().config.api.perCallerLimits);
    expect(limits.length).toBeGreaterThan(0);
    const ipRule = rules.find((rule) => rule.Name === rateLimitRuleName);
    for (const [routeId, limit] of limits) {
      const route = routes[routeId as RouteId];
      const rule = rules.find((candidate) => candidate.Name === perCallerRuleName(routeId as RouteId));
      expect(rule?.Statement.RateBasedStatement).toEqual({
        AggregateKeyType: 'CUSTOM_KEYS',
        CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
        Limit: limit.limit,
        EvaluationWindowSec: limit.windowSeconds,
        ScopeDownStatement: {
          AndStatement: {
            Statements: [
              {
                ByteMatchStatement: {
                  FieldToMatch: { Method: {} },
                  PositionalConstraint: 'EXACTLY',
                  SearchString: route.method,
                  TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                },
              },
              {
                RegexMatchStatement: {
                  FieldToMatch: { UriPath: {} },
                  RegexString: `${route.path}$`,
                  TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                },
              },
            ],
          },
        },
      });
      // The same 429, Retry-After and problem body as the per-IP rule.
      expect(rule?.Action).toEqual(ipRule?.Action);
    }
  });

  it('logs what WAF blocked or counted to aws-waf-logs-..., with retention and without credentials', () => {
    const [logGroupId, logGroup] = Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Logs::LogGroup')).find(
      ([, candidate]) =>
        String(JSON.stringify(candidate.Properties?.LogGroupName)).includes(`aws-waf-logs-orders-${envName}-`),
    )!;
    expect(logGroup.Properties?.RetentionInDays).toBe(app().config.logRetentionDays);
    const [aclId] = onlyResource(app().serviceTemplate, 'AWS::WAFv2::WebACL');
    const [, logging] = onlyResource(app().serviceTemplate, 'AWS::WAFv2::LoggingConfiguration');
    expect(logging.ResourceArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    const destination = JSON.stringify(logging.LogDestinationConfigs);
    expect(destination).toContain(`:log-group:`);
    expect(destination).toContain(`{"Ref":"${logGroupId}"}`);
    // WAF refuses the `:*` form of a log group ARN.
    expect(destination).not.toMatch(/:\*"/);
    expect(logging.RedactedFields).toEqual(
      expect.arrayContaining([{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'x-api-key' } }]),
    );
    expect(logging.LoggingFilter).toMatchObject({ DefaultBehavior: 'DROP' });
    expect(JSON.stringify(logging.LoggingFilter)).toContain('"Action":"BLOCK"');
  });

  it('writes the access log as one JSON object per request, with the WAF verdict', () => {
    const [, stage] = onlyResource(app().serviceTemplate, 'AWS::ApiGateway::Stage');
    const format = JSON.parse((stage.AccessLogSetting as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
      wafResponseCode: '$context.wafResponseCode',
    });
    // The caller is its `sub`: never a header (Authorization holds the access token) nor the API key's value.
    expect(Object.values(format).filter((value) => /apiKey|header|authorization\b/i.test(value))).toEqual([]);
  });

  it('caches only where api.cache is set, and then only the public catalog GETs, keyed by their parameters', () => {
    const cache = app().config.api.cache;
    const [, stage] = onlyResource(app().serviceTemplate, 'AWS::ApiGateway::Stage');
    const settings = stage.MethodSettings as MethodSetting[];
    const cachingMethods = settings.filter((setting) => setting.CachingEnabled === true);
    const methods = methodsByRoute(app());
    const withCacheKeys = [...methods].filter(
      ([, method]) => (method.Integration as { CacheKeyParameters?: string[] }).CacheKeyParameters !== undefined,
    );
    if (!cache) {
      expect(stage.CacheClusterEnabled ?? false).toBe(false);
      expect(cachingMethods).toEqual([]);
      expect(withCacheKeys).toEqual([]);
      return;
    }

    expect(stage).toMatchObject({ CacheClusterEnabled: true, CacheClusterSize: cache.clusterSizeGb });
    expect(settings.find((setting) => setting.ResourcePath === '/*')?.CachingEnabled).toBe(false);
    expect(cachingMethods.map((setting) => `${setting.HttpMethod} ${setting.ResourcePath}`).sort()).toEqual(
      cachedRoutes.map((route) => `GET /${route.path.replace(/\//g, '~1')}`).sort(),
    );
    for (const setting of cachingMethods) {
      // A method's settings replace the stage's: logging and metrics must be repeated.
      expect(setting).toMatchObject({
        CacheTtlInSeconds: cache.ttlSeconds,
        CacheDataEncrypted: true,
        MetricsEnabled: true,
        DataTraceEnabled: false,
      });
    }

    // Origin too: each answer allows the origin that asked (CORS), and must not be served to another one.
    const expectedKeys: Record<string, string[]> = {
      'GET /products': [
        'method.request.querystring.limit',
        'method.request.querystring.cursor',
        'method.request.header.If-None-Match',
        'method.request.header.Origin',
      ],
      'GET /products/{productId}': [
        'method.request.path.productId',
        'method.request.header.If-None-Match',
        'method.request.header.Origin',
      ],
    };
    expect(withCacheKeys.map(([route]) => route).sort()).toEqual(Object.keys(expectedKeys).sort());
    for (const [route, keys] of Object.entries(expectedKeys)) {
      const method = methods.get(route)!;
      expect((method.Integration as { CacheKeyParameters: string[] }).CacheKeyParameters.sort()).toEqual(
        [...keys].sort(),
      );
      // Every key is a declared request parameter; only path parameters are required.
      expect(method.RequestParameters).toEqual(Object.fromEntries(keys.map((key) => [key, key.includes('.path.')])));
    }
    // The caller is not part of any cache key: a per-caller route must never be cached.
    for (const route of routeList.filter((candidate) => candidate.access !== 'public')) {
      const integration = methods.get(`${route.method} ${route.path}`)?.Integration as Properties;
      expect({ route: route.id, keys: integration.CacheKeyParameters }).toEqual({ route: route.id, keys: undefined });
    }
  });

  it('has no custom domain in the shipped configuration', () => {
    app().serviceTemplate.resourceCountIs('AWS::ApiGateway::DomainName', 0);
    app().serviceTemplate.resourceCountIs('AWS::Route53::RecordSet', 0);
    const [, api] = onlyResource(app().serviceTemplate, 'AWS::ApiGateway::RestApi');
    expect(api.DisableExecuteApiEndpoint).toBeUndefined();
  });
});

describe('custom domain with mutual TLS (config override)', () => {
  const partnerDomain = {
    domainName: 'partners.orders.example.com',
    certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    mtlsTruststoreUri: 's3://orders-prod-truststore/partners/ca-bundle.pem',
    mtlsTruststoreVersion: '3HL4kqtJvjVBH40Nrjfkd',
  };
  const withDomain = (envName: 'staging' | 'prod', customDomain: Record<string, unknown>) => {
    const environments = cdkJsonContext().environments as Record<string, { api: Record<string, unknown> }>;
    return synthApp(envName, { configOverrides: { api: { ...environments[envName]!.api, customDomain } } });
  };

  it('creates a regional TLS 1.2 domain with the truststore, maps it to the stage and aliases it in DNS', () => {
    const app = withDomain('prod', partnerDomain);
    const template = app.serviceTemplate;
    const [domainId, domain] = onlyResource(template, 'AWS::ApiGateway::DomainName');
    expect(domain).toMatchObject({
      DomainName: partnerDomain.domainName,
      RegionalCertificateArn: partnerDomain.certificateArn,
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
      MutualTlsAuthentication: {
        TruststoreUri: partnerDomain.mtlsTruststoreUri,
        TruststoreVersion: partnerDomain.mtlsTruststoreVersion,
      },
    });
    const [stageId] = onlyResource(template, 'AWS::ApiGateway::Stage');
    const [apiId, api] = onlyResource(template, 'AWS::ApiGateway::RestApi');
    const [, mapping] = onlyResource(template, 'AWS::ApiGateway::BasePathMapping');
    expect(mapping).toMatchObject({
      DomainName: { Ref: domainId },
      RestApiId: { Ref: apiId },
      Stage: { Ref: stageId },
      BasePath: 'v1',
    });
    const [, record] = onlyResource(template, 'AWS::Route53::RecordSet');
    expect(record).toMatchObject({
      Type: 'A',
      Name: `${partnerDomain.domainName}.`,
      HostedZoneId: partnerDomain.hostedZoneId,
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [domainId, 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [domainId, 'RegionalHostedZoneId'] },
      },
    });
    // With mTLS the only way in: the execute-api endpoint would let a client without a certificate around it.
    expect(api.DisableExecuteApiEndpoint).toBe(true);
    template.hasOutput('ApiCustomDomainUrl', { Value: `https://${partnerDomain.domainName}/v1/` });
    expect(app.service.customDomain?.mutualTls).toBe(true);
    // The firewall still guards the stage, whichever hostname a request used.
    onlyResource(template, 'AWS::WAFv2::WebACLAssociation');
  });

  it('without a truststore or hosted zone: plain TLS, no DNS record, still the only way in', () => {
    const app = withDomain('staging', {
      domainName: 'api.staging.orders.example.com',
      certificateArn: partnerDomain.certificateArn,
    });
    const [, domain] = onlyResource(app.serviceTemplate, 'AWS::ApiGateway::DomainName');
    expect(domain.MutualTlsAuthentication).toBeUndefined();
    expect(domain.SecurityPolicy).toBe('TLS_1_2');
    app.serviceTemplate.resourceCountIs('AWS::Route53::RecordSet', 0);
    app.serviceTemplate.hasOutput('ApiCustomDomainTarget', { Value: Match.anyValue() });
    const [, api] = onlyResource(app.serviceTemplate, 'AWS::ApiGateway::RestApi');
    // Whenever the domain is on, whether or not it checks client certificates, execute-api is off.
    expect(api.DisableExecuteApiEndpoint).toBe(true);
  });

  it('refuses a certificate from another region than the API', () => {
    expect(() =>
      withDomain('staging', {
        domainName: 'api.staging.orders.example.com',
        certificateArn: partnerDomain.certificateArn.replace('us-east-1', 'eu-west-1'),
      }),
    ).toThrow(/certificateArn is in eu-west-1/);
  });
});

describeEachEnvironment('data protection', (app, envName) => {
  const tableIds = (synthesized: SynthesizedApp) =>
    [synthesized.data.table, synthesized.data.idempotencyTable].map((table) =>
      synthesized.data.getLogicalId(table.node.defaultChild as CfnElement),
    );

  it('backs both tables up daily into a CMK-encrypted vault, copied to the first replica region', () => {
    const backupConfig = app().config.backup;
    if (!backupConfig) {
      app().dataTemplate.resourceCountIs('AWS::Backup::BackupPlan', 0);
      app().dataTemplate.resourceCountIs('AWS::Backup::BackupVault', 0);
      for (const template of app().replicaKeyTemplates) template.resourceCountIs('AWS::Backup::BackupVault', 0);
      return;
    }
    const template = app().dataTemplate;
    const [vaultId, vault] = onlyResource(template, 'AWS::Backup::BackupVault');
    expect(vault.BackupVaultName).toBe(backupVaultName(envName));
    const keyId = (vault.EncryptionKeyArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(resourcesOfType(template, 'AWS::KMS::Key')[keyId]?.Properties?.EnableKeyRotation).toBe(true);
    expect(resourcesOfType(template, 'AWS::Backup::BackupVault')[vaultId]?.DeletionPolicy).toBe('Retain');
    // Recovery points expire by the plan's lifecycle only: nobody may delete one early.
    const denied = (vault.AccessPolicy as { Statement: PolicyStatementJson[] }).Statement.filter(
      (statement) => statement.Effect === 'Deny',
    );
    expect(denied.flatMap((statement) => asArray(statement.Action))).toContain('backup:DeleteRecoveryPoint');

    const [, plan] = onlyResource(template, 'AWS::Backup::BackupPlan');
    const rules = (plan.BackupPlan as { BackupPlanRule: Properties[] }).BackupPlanRule;
    expect(rules).toHaveLength(1);
    const rule = rules[0]!;
    expect(rule).toMatchObject({
      ScheduleExpression: 'cron(0 5 * * ? *)',
      TargetBackupVault: { 'Fn::GetAtt': [vaultId, 'BackupVaultName'] },
      Lifecycle: { DeleteAfterDays: backupConfig.retentionDays },
    });
    const copyRegion = app().config.replicaRegions[0];
    if (copyRegion) {
      const copies = rule.CopyActions as { DestinationBackupVaultArn: unknown; Lifecycle: Properties }[];
      expect(copies).toHaveLength(1);
      expect(copies[0]?.Lifecycle).toEqual({ DeleteAfterDays: backupConfig.retentionDays });
      const destination = JSON.stringify(copies[0]?.DestinationBackupVaultArn);
      expect(destination).toContain(`:backup:${copyRegion}:`);
      expect(destination).toContain(`:backup-vault:${backupVaultName(envName)}`);
      // The vault it names exists: the replica-key stack of that region creates it, with its own key.
      const index = app().replicaKeys.findIndex((stack) => stack.region === copyRegion);
      const replica = app().replicaKeyTemplates[index]!;
      const [, copyVault] = onlyResource(replica, 'AWS::Backup::BackupVault');
      expect(copyVault.BackupVaultName).toBe(backupVaultName(envName));
      expect(copyVault.EncryptionKeyArn).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      expect(app().data.dependencies).toContain(app().replicaKeys[index]);
      app()
        .replicaKeyTemplates.filter((_, other) => other !== index)
        .forEach((other) => other.resourceCountIs('AWS::Backup::BackupVault', 0));
    } else {
      expect(rule.CopyActions).toBeUndefined();
    }

    const [, selection] = onlyResource(template, 'AWS::Backup::BackupSelection');
    const resources = (selection.BackupSelection as { Resources: unknown[] }).Resources;
    expect(resources).toEqual(tableIds(app()).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    const roleId = (selection.BackupSelection as { IamRoleArn: { 'Fn::GetAtt': [string, string] } }).IamRoleArn[
      'Fn::GetAtt'
    ][0];
    const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId]?.Properties;
    expect(JSON.stringify(role?.AssumeRolePolicyDocument)).toContain('backup.amazonaws.com');
    expect(JSON.stringify(role?.ManagedPolicyArns)).toContain('AWSBackupServiceRolePolicyForBackup');
    expect(JSON.stringify(role?.ManagedPolicyArns)).not.toContain('Restores');
  });

  it('keeps both tables recoverable: PITR, TTL, deletion protection and Retain where data is retained', () => {
    const tables = resourcesOfType(app().dataTemplate, 'AWS::DynamoDB::GlobalTable');
    for (const id of tableIds(app())) {
      const table = tables[id]!;
      expect(table.Properties?.TimeToLiveSpecification).toMatchObject({ Enabled: true });
      for (const replica of table.Properties?.Replicas as Properties[]) {
        expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
        expect(replica.DeletionProtectionEnabled ?? false).toBe(app().config.retainData);
      }
      expect(table.DeletionPolicy).toBe(app().config.retainData ? 'Retain' : 'Delete');
    }
    // The saga's change feed of the orders table.
    expect(tables[tableIds(app())[0]!]?.Properties?.StreamSpecification).toBeDefined();
  });

  it('turns contributor insights on for every table, replica and index exactly where configured', () => {
    const enabled = app().config.contributorInsights;
    const tables = resourcesOfType(app().dataTemplate, 'AWS::DynamoDB::GlobalTable');
    for (const id of tableIds(app())) {
      for (const replica of tables[id]!.Properties?.Replicas as Properties[]) {
        const replicaIndexes = (replica.GlobalSecondaryIndexes ?? []) as Properties[];
        const specifications = [
          replica.ContributorInsightsSpecification,
          ...replicaIndexes.map((index) => index.ContributorInsightsSpecification),
        ];
        if (enabled) {
          const indexes = (tables[id]!.Properties?.GlobalSecondaryIndexes ?? []) as Properties[];
          expect(replicaIndexes.map((index) => index.IndexName).sort()).toEqual(
            indexes.map((index) => index.IndexName).sort(),
          );
        }
        for (const specification of specifications) {
          expect({
            id,
            region: replica.Region,
            enabled: (specification as { Enabled?: boolean })?.Enabled ?? false,
          }).toEqual({ id, region: replica.Region, enabled });
        }
      }
    }
  });

  it('grants no wildcard action on tables or keys in any IAM policy of any stack', () => {
    const templates = [app().dataTemplate, app().serviceTemplate, ...app().replicaKeyTemplates];
    const statements = templates.flatMap((template) => [
      ...policyStatements(template),
      ...Object.entries(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).flatMap(([policyId, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement.map((statement) => ({
          policyId,
          statement,
        })),
      ),
    ]);
    const dataActions = /^(dynamodb|kms):/i;
    const dataResources = /dynamodb|:kms:|table|key/i;
    const onData = statements.filter(
      ({ statement }) =>
        statement.Effect === 'Allow' &&
        (asArray(statement.Action).some((action) => dataActions.test(action)) ||
          dataResources.test(JSON.stringify(statement.Resource))),
    );
    // Functions read and write the tables, so there is something to check.
    expect(onData.length).toBeGreaterThan(5);
    for (const { policyId, statement } of onData) {
      for (const action of asArray(statement.Action)) {
        expect({ policyId, action }).toEqual({ policyId, action: expect.not.stringMatching(/\*/) });
      }
      if (asArray(statement.Action).some((action) => dataActions.test(action))) {
        expect({ policyId, resource: statement.Resource }).toEqual({
          policyId,
          resource: expect.not.stringMatching(/^\*$/),
        });
      }
    }
  });

  it('gives kms:* in a key policy to the account root alone (delegation to IAM), never to a service or role', () => {
    const templates = [app().dataTemplate, ...app().replicaKeyTemplates];
    const keys = templates.flatMap((template) => Object.values(resourcesOfType(template, 'AWS::KMS::Key')));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const statements = (key.Properties?.KeyPolicy as { Statement: (PolicyStatementJson & { Principal: unknown })[] })
        .Statement;
      for (const statement of statements.filter((candidate) =>
        asArray(candidate.Action).some((a) => a.includes('*')),
      )) {
        expect(JSON.stringify(statement.Principal)).toMatch(/^\{"AWS":.*:root"\]\]\}\}$/);
      }
    }
  });
});
