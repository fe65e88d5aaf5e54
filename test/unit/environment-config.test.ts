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
});
