import { signRequest } from '../../functions/core/adapters/aws-signed-request';
import {
  alarmsToRead,
  judgeAlarms,
  judgeProbe,
  parseDescribeAlarms,
  probeEvent,
  versionOf,
} from '../../functions/hooks/release-checks';

const problem = (status: number, contentType = 'application/problem+json') =>
  JSON.stringify({ statusCode: status, headers: { 'content-type': contentType }, body: '{}' });
const taskError = (errorType: string, errorMessage = 'x') => JSON.stringify({ errorType, errorMessage });

describe('pre-traffic probes', () => {
  it('sends each kind a request that changes nothing: a body that is not JSON, an input without an order id', () => {
    expect(probeEvent('api-route', 'd-1')).toMatchObject({ body: '{ not json', httpMethod: 'POST' });
    expect(probeEvent('saga-task', 'd-1')).toEqual({ releaseProbe: true });
    expect(probeEvent('job', 'd-1')).toEqual({ releaseProbe: true });
  });

  it('passes a route only on a 400 problem+json answer', () => {
    expect(judgeProbe('api-route', { statusCode: 200, payload: problem(400) }).status).toBe('Succeeded');
    expect(judgeProbe('api-route', { statusCode: 200, payload: problem(500) }).status).toBe('Failed');
    expect(judgeProbe('api-route', { statusCode: 200, payload: problem(400, 'text/html') }).status).toBe('Failed');
    expect(judgeProbe('api-route', { statusCode: 200, payload: 'null' }).status).toBe('Failed');
    const crashed = { statusCode: 200, functionError: 'Unhandled', payload: taskError('Runtime.ImportModuleError') };
    expect(judgeProbe('api-route', crashed)).toEqual({
      status: 'Failed',
      reason: 'the function failed (Runtime.ImportModuleError)',
    });
    expect(judgeProbe('api-route', { statusCode: 429, payload: '' }).status).toBe('Failed');
  });

  it('passes a saga task only when it rejects the input with ValidationError', () => {
    const rejected = { statusCode: 200, functionError: 'Unhandled', payload: taskError('ValidationError') };
    expect(judgeProbe('saga-task', rejected).status).toBe('Succeeded');
    const renamed = { ...rejected, payload: taskError('Qe', 'invalid task input') };
    expect(judgeProbe('saga-task', renamed).status).toBe('Succeeded');
    const other = { ...rejected, payload: taskError('TypeError') };
    expect(judgeProbe('saga-task', other).status).toBe('Failed');
    expect(judgeProbe('saga-task', { statusCode: 200, payload: '{}' }).status).toBe('Failed');
  });

  it('passes a job only when it answers the release probe', () => {
    expect(judgeProbe('job', { statusCode: 200, payload: '{"releaseProbe":true}' }).status).toBe('Succeeded');
    expect(judgeProbe('job', { statusCode: 200, payload: '{"restarted":[]}' }).status).toBe('Failed');
    expect(
      judgeProbe('job', { statusCode: 200, functionError: 'Unhandled', payload: taskError('SettingsError') }).status,
    ).toBe('Failed');
  });

  it('reads the function name and version from a version ARN', () => {
    expect(versionOf('arn:aws:lambda:us-east-1:123456789012:function:orders-api-x:42')).toEqual({
      functionName: 'orders-api-x',
      version: '42',
    });
    expect(() => versionOf('arn:aws:lambda:us-east-1:123456789012:function:orders-api-x:live')).toThrow();
  });
});

describe('post-traffic alarm gate', () => {
  const started = new Date('2025-01-01T10:00:00Z');
  const alarm = (name: string, state: 'OK' | 'ALARM', at: string) => ({ name, state, updatedAt: new Date(at) });

  it('fails on an alarm that went into ALARM during the deployment', () => {
    const verdict = judgeAlarms({
      alarms: [alarm('slo', 'ALARM', '2025-01-01T10:03:00Z'), alarm('other', 'OK', '2025-01-01T10:04:00Z')],
      deploymentStartedAt: started,
    });
    expect(verdict).toEqual({ status: 'Failed', reason: 'in ALARM since the deployment started: slo' });
  });

  it('lets a hotfix through an alarm that was already firing when it started', () => {
    const verdict = judgeAlarms({
      alarms: [alarm('order-failure-rate', 'ALARM', '2025-01-01T09:30:00Z')],
      deploymentStartedAt: started,
    });
    expect(verdict.status).toBe('Succeeded');
    expect(verdict.reason).toContain('already in ALARM before the deployment: order-failure-rate');
  });

  it('passes whatever it reads while glass is broken, naming the reason', () => {
    const verdict = judgeAlarms({
      alarms: [alarm('order-failure-rate', 'ALARM', '2025-01-01T10:03:00Z')],
      deploymentStartedAt: started,
      breakGlass: 'INC-7 provider outage',
    });
    expect(verdict.status).toBe('Succeeded');
    expect(verdict.reason).toContain('INC-7 provider outage');
  });

  it('reads the business alarm after the order path deployments only', () => {
    const config = { sloAlarms: ['a', 'b'], businessAlarm: 'biz', businessGroups: ['api-place-order'] };
    expect(alarmsToRead('api-place-order', config)).toEqual(['a', 'b', 'biz']);
    expect(alarmsToRead('api-get-product', config)).toEqual(['a', 'b']);
  });

  it('parses the DescribeAlarms answer, nested lists included', () => {
    const xml = `<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms>
      <member><AlarmName>orders-dev-order-failure-rate</AlarmName><AlarmActions><member>arn:x</member></AlarmActions>
        <StateValue>ALARM</StateValue><StateUpdatedTimestamp>2025-01-01T10:03:00.000Z</StateUpdatedTimestamp>
        <Dimensions><member><Name>service</Name><Value>orders-saga</Value></member></Dimensions></member>
      <member><AlarmName>orders-dev-api-latency &amp; more</AlarmName><StateValue>OK</StateValue>
        <StateUpdatedTimestamp>2025-01-01T09:00:00Z</StateUpdatedTimestamp></member>
    </MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>`;
    expect(parseDescribeAlarms(xml)).toEqual([
      { name: 'orders-dev-order-failure-rate', state: 'ALARM', updatedAt: new Date('2025-01-01T10:03:00Z') },
      { name: 'orders-dev-api-latency & more', state: 'OK', updatedAt: new Date('2025-01-01T09:00:00Z') },
    ]);
  });
});

describe('Signature Version 4', () => {
  it('signs the AWS test suite vanilla GET as AWS does', () => {
    const headers = signRequest(
      { method: 'GET', service: 'service', region: 'us-east-1', host: 'example.amazonaws.com', path: '/' },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      new Date('2015-08-30T12:36:00Z'),
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
  });
});
