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

  it('checks the optional alarm e-mail and runbook base URL', () => {
    expect(selectEnvironment({ dev: { ...environments.dev, alarmEmail: 'ops@example.com' } }, 'dev').alarmEmail).toBe(
      'ops@example.com',
    );
    expect(() => selectEnvironment({ dev: { ...environments.dev, alarmEmail: 'not-an-address' } }, 'dev')).toThrow(
      /alarmEmail/,
    );
    expect(() =>
      selectEnvironment({ dev: { ...environments.dev, runbookBaseUrl: 'http://wiki.example.com/runbooks/' } }, 'dev'),
    ).toThrow(/runbookBaseUrl/);
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
