import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentNames, selectEnvironment } from '../../bin/environment-config';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: { environments: Record<string, Record<string, unknown>> };
};
const environments = cdkJson.context.environments;

describe('environment configuration', () => {
  it.each(environmentNames)('%s in cdk.json is valid', (name) => {
    expect(selectEnvironment(environments, name).primaryRegion).toMatch(/^[a-z]{2}-/);
  });

  it('names an unknown environment and lists the known ones', () => {
    expect(() => selectEnvironment(environments, 'qa')).toThrow(/unknown environment "qa".*dev, staging, prod/);
  });

  it('reports each invalid field by path', () => {
    const broken = {
      ...environments.dev,
      sagaWorkflowType: 'FAST',
      api: { throttle: { rateLimit: -1, burstLimit: 1 } },
    };
    expect(() => selectEnvironment({ dev: broken }, 'dev')).toThrow(/sagaWorkflowType[\s\S]*api\.throttle\.rateLimit/);
  });

  it('rejects unknown fields so typos do not pass silently', () => {
    expect(() => selectEnvironment({ dev: { ...environments.dev, logLevle: 'INFO' } }, 'dev')).toThrow(/logLevle/);
  });

  it('refuses a prod that would delete its data', () => {
    expect(() => selectEnvironment({ prod: { ...environments.prod, retainData: false } }, 'prod')).toThrow(
      /retainData/,
    );
  });

  it('requires risk limits and refuses a per-hour limit below 1', () => {
    const { risk: _risk, ...withoutRisk } = environments.dev as Record<string, unknown>;
    expect(() => selectEnvironment({ dev: withoutRisk }, 'dev')).toThrow(/risk/);
    const broken = { ...environments.dev, risk: { maxOrderAmount: { '*': 100 }, maxOrdersPerHour: 0 } };
    expect(() => selectEnvironment({ dev: broken }, 'dev')).toThrow(/risk\.maxOrdersPerHour/);
  });

  it('requires a 3-D Secure deadline shorter than the stock holds', () => {
    const payment = environments.dev!.payment as Record<string, unknown>;
    const withDeadline = (minutes: unknown) => ({
      dev: { ...environments.dev, payment: { ...payment, authenticationDeadlineMinutes: minutes } },
    });
    expect(selectEnvironment(withDeadline(14), 'dev').payment.authenticationDeadlineMinutes).toBe(14);
    expect(() => selectEnvironment(withDeadline(15), 'dev')).toThrow(
      /authenticationDeadlineMinutes \(15\).*holdMinutes/,
    );
    expect(() => selectEnvironment(withDeadline(0), 'dev')).toThrow(/payment\.authenticationDeadlineMinutes/);
    const { authenticationDeadlineMinutes: _deadline, ...withoutDeadline } = payment;
    expect(() => selectEnvironment({ dev: { ...environments.dev, payment: withoutDeadline } }, 'dev')).toThrow(
      /payment\.authenticationDeadlineMinutes/,
    );
  });

  it("requires a review deadline within the payment authorization's validity (at most 6 of its 7 days)", () => {
    const risk = environments.dev!.risk as Record<string, unknown>;
    const withDeadline = (hours: unknown) => ({
      dev: { ...environments.dev, risk: { ...risk, reviewDeadlineHours: hours } },
    });
    expect(selectEnvironment(withDeadline(144), 'dev').risk.reviewDeadlineHours).toBe(144);
    for (const hours of [145, 0, 1.5]) {
      expect(() => selectEnvironment(withDeadline(hours), 'dev')).toThrow(/risk\.reviewDeadlineHours/);
    }
    const { reviewDeadlineHours: _deadline, ...withoutDeadline } = risk;
    expect(() => selectEnvironment({ dev: { ...environments.dev, risk: withoutDeadline } }, 'dev')).toThrow(
      /risk\.reviewDeadlineHours/,
    );
  });

  it('checks the runbook base URL', () => {
    expect(() =>
      selectEnvironment({ dev: { ...environments.dev, runbookBaseUrl: 'http://wiki.example.com/runbooks/' } }, 'dev'),
    ).toThrow(/runbookBaseUrl/);
  });

  it('checks the on-call destinations, each by its path', () => {
    const withOnCall = (onCall: unknown) => ({ dev: { ...environments.dev, onCall } });
    const valid = {
      pagingEndpoint: 'https://events.pagerduty.example/integration/key/enqueue',
      emails: { page: ['lead@example.com'], ticket: ['ops@example.com'] },
      slack: { workspaceId: 'T07EA123LEP', channelId: 'C07EZ1ABC23' },
    };
    expect(selectEnvironment(withOnCall(valid), 'dev').onCall).toEqual(valid);
    expect(selectEnvironment(withOnCall({}), 'dev').onCall).toEqual({ emails: { page: [], ticket: [] } });
    expect(() => selectEnvironment(withOnCall({ pagingEndpoint: 'http://events.example.com/' }), 'dev')).toThrow(
      /onCall\.pagingEndpoint/,
    );
    expect(() => selectEnvironment(withOnCall({ emails: { ticket: ['not-an-address'] } }), 'dev')).toThrow(
      /onCall\.emails\.ticket\.0/,
    );
    expect(() =>
      selectEnvironment(withOnCall({ slack: { workspaceId: 'acme', channelId: 'C07EZ1ABC23' } }), 'dev'),
    ).toThrow(/onCall\.slack\.workspaceId: .*Slack workspace id/);
    expect(() => selectEnvironment(withOnCall({ pager: 'x' }), 'dev')).toThrow(/pager/);
  });

  it('refuses a prod without a paging endpoint, naming the setting', () => {
    const { onCall: _onCall, ...withoutOnCall } = environments.prod as Record<string, unknown>;
    expect(() => selectEnvironment({ prod: withoutOnCall }, 'prod')).toThrow(
      /environments\.prod\.onCall\.pagingEndpoint/,
    );
    const emailOnly = { ...environments.prod, onCall: { emails: { page: ['ops@example.com'] } } };
    expect(() => selectEnvironment({ prod: emailOnly }, 'prod')).toThrow(/environments\.prod\.onCall\.pagingEndpoint/);
    // Other environments may have no destination at all.
    const { onCall: _stagingOnCall, ...staging } = environments.staging as Record<string, unknown>;
    expect(selectEnvironment({ staging }, 'staging').onCall).toBeUndefined();
  });

  it('requires a budget and the cost-allocation tag values', () => {
    const { budget: _budget, ...withoutBudget } = environments.dev as Record<string, unknown>;
    expect(() => selectEnvironment({ dev: withoutBudget }, 'dev')).toThrow(/budget/);
    expect(() => selectEnvironment({ dev: { ...environments.dev, budget: { monthlyLimitUsd: 0 } } }, 'dev')).toThrow(
      /budget\.monthlyLimitUsd/,
    );
    expect(selectEnvironment({ dev: environments.dev }, 'dev').budget).toEqual({
      monthlyLimitUsd: (environments.dev!.budget as { monthlyLimitUsd: number }).monthlyLimitUsd,
      actualThresholdPercent: 80,
      forecastedThresholdPercent: 100,
    });
    const costAllocation = { owner: 'orders-team', costCenter: 'x'.repeat(257) };
    expect(() => selectEnvironment({ dev: { ...environments.dev, costAllocation } }, 'dev')).toThrow(
      /costAllocation\.costCenter/,
    );
    expect(selectEnvironment({ dev: environments.dev }, 'dev').costAllocation.service).toBe('orders');
  });

  it('checks the firewall, stage cache, backup and contributor insights settings', () => {
    const dev = environments.dev as { api: Record<string, unknown> };
    const withApi = (api: Record<string, unknown>) => ({ dev: { ...dev, api: { ...dev.api, ...api } } });
    expect(() => selectEnvironment(withApi({ firewall: { ipRateLimit: 5 } }), 'dev')).toThrow(
      /api\.firewall\.ipRateLimit/,
    );
    expect(() =>
      selectEnvironment(withApi({ firewall: { ipRateLimit: 1000, ipRateWindowSeconds: 30 } }), 'dev'),
    ).toThrow(/api\.firewall\.ipRateWindowSeconds/);
    const { firewall: _firewall, ...apiWithoutFirewall } = dev.api;
    expect(() => selectEnvironment({ dev: { ...dev, api: apiWithoutFirewall } }, 'dev')).toThrow(/api\.firewall/);
    expect(() => selectEnvironment(withApi({ cache: { clusterSizeGb: '2', ttlSeconds: 30 } }), 'dev')).toThrow(
      /api\.cache\.clusterSizeGb/,
    );
    expect(() => selectEnvironment(withApi({ cache: { clusterSizeGb: '0.5', ttlSeconds: 7200 } }), 'dev')).toThrow(
      /api\.cache\.ttlSeconds/,
    );
    expect(() => selectEnvironment({ dev: { ...dev, contributorInsights: 'yes' } }, 'dev')).toThrow(
      /contributorInsights/,
    );
    expect(selectEnvironment({ dev }, 'dev').contributorInsights).toBe(false);
    // Backups outlive the stack, so an environment that deletes its data on stack deletion may not have them.
    expect(() => selectEnvironment({ dev: { ...dev, backup: { retentionDays: 7 } } }, 'dev')).toThrow(
      /backup needs retainData/,
    );
    const staging = environments.staging!;
    expect(() => selectEnvironment({ staging: { ...staging, backup: { retentionDays: 0 } } }, 'staging')).toThrow(
      /backup\.retentionDays/,
    );
  });

  it('checks the custom domain: certificate region, truststore URI and version', () => {
    const prod = environments.prod as { api: Record<string, unknown> };
    const domain = {
      domainName: 'partners.orders.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    };
    const withDomain = (customDomain: Record<string, unknown>) => ({
      prod: { ...prod, api: { ...prod.api, customDomain } },
    });
    const parsed = selectEnvironment(withDomain({ ...domain, mtlsTruststoreUri: 's3://trust-bucket/ca.pem' }), 'prod');
    expect(parsed.api.customDomain).toEqual({ ...domain, mtlsTruststoreUri: 's3://trust-bucket/ca.pem' });
    expect(() => selectEnvironment(withDomain({ ...domain, domainName: 'Partners.Example.COM' }), 'prod')).toThrow(
      /api\.customDomain\.domainName/,
    );
    expect(() =>
      selectEnvironment(
        withDomain({ ...domain, certificateArn: domain.certificateArn.replace('us-east-1', 'eu-west-1') }),
        'prod',
      ),
    ).toThrow(/certificateArn is in eu-west-1.*us-east-1/);
    expect(() =>
      selectEnvironment(withDomain({ ...domain, mtlsTruststoreUri: 'https://trust-bucket/ca.pem' }), 'prod'),
    ).toThrow(/api\.customDomain\.mtlsTruststoreUri/);
    expect(() => selectEnvironment(withDomain({ ...domain, mtlsTruststoreVersion: 'v1' }), 'prod')).toThrow(
      /mtlsTruststoreVersion needs api\.customDomain\.mtlsTruststoreUri/,
    );
  });

  it('refuses a chaos extension layer from another region than the primary one', () => {
    const layerIn = (region: string) => ({
      ...environments.dev,
      chaos: { fisExtensionLayerArn: `arn:aws:lambda:${region}:211125607513:layer:aws-fis-extension-arm64:9` },
    });
    expect(selectEnvironment({ dev: layerIn('us-east-1') }, 'dev').chaos).toBeDefined();
    expect(() => selectEnvironment({ dev: layerIn('eu-west-1') }, 'dev')).toThrow(/fisExtensionLayerArn/);
  });
});
