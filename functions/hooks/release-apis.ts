import { sendAwsRequest, type AwsRequest, type AwsResponse } from '../core/adapters/aws-signed-request';
import type { AlarmState, HookStatus, InvokeResult, Verdict } from './release-checks';
import { parseDescribeAlarms } from './release-checks';

/** The CodeDeploy lifecycle event a hook is invoked with. */
export interface LifecycleEvent {
  readonly DeploymentId: string;
  readonly LifecycleEventHookExecutionId: string;
}

/** A signed POST to the service's endpoint in the hook's own region, where its deployments and alarms are. */
function postInRegion(
  service: string,
  request: Omit<AwsRequest, 'method' | 'service' | 'region' | 'host'>,
): Promise<AwsResponse> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return sendAwsRequest({ ...request, method: 'POST', service, region, host: `${service}.${region}.amazonaws.com` });
}

async function codeDeploy<T>(operation: string, input: object): Promise<T> {
  const response = await postInRegion('codedeploy', {
    path: '/',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `CodeDeploy_20141006.${operation}`,
    },
    body: JSON.stringify(input),
  });
  return JSON.parse(response.body || '{}') as T;
}

/** The deployment's group and when it was created (GetDeployment). */
export async function getDeployment(deploymentId: string): Promise<{ group: string; createdAt: Date }> {
  const { deploymentInfo } = await codeDeploy<{
    deploymentInfo: { deploymentGroupName: string; createTime: number };
  }>('GetDeployment', { deploymentId });
  return { group: deploymentInfo.deploymentGroupName, createdAt: new Date(deploymentInfo.createTime * 1000) };
}

/** Tells CodeDeploy the hook's verdict; until then the deployment waits (an hour at most). */
export async function reportHookStatus(event: LifecycleEvent, status: HookStatus): Promise<void> {
  await codeDeploy('PutLifecycleEventHookExecutionStatus', {
    deploymentId: event.DeploymentId,
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
    status,
  });
}

/** Invokes one version of a function synchronously; a function error is part of the result, not an exception. */
export async function invokeVersion(functionName: string, version: string, payload: unknown): Promise<InvokeResult> {
  const response = await postInRegion('lambda', {
    path: `/2015-03-31/functions/${functionName}/invocations`,
    query: { Qualifier: version },
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
    body: JSON.stringify(payload),
  });
  const functionError = response.headers.get('x-amz-function-error');
  return { statusCode: response.status, payload: response.body, ...(functionError ? { functionError } : {}) };
}

/** The named alarms' states (CloudWatch DescribeAlarms, query API; at most 100 names). */
export async function describeAlarms(names: readonly string[]): Promise<AlarmState[]> {
  const params = new URLSearchParams({ Action: 'DescribeAlarms', Version: '2010-08-01' });
  names.forEach((name, index) => params.append(`AlarmNames.member.${index + 1}`, name));
  const response = await postInRegion('monitoring', {
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: params.toString(),
  });
  return parseDescribeAlarms(response.body);
}

/**
 * Runs a hook's check and reports its verdict. Whatever goes wrong (a malformed setting, an AWS error) reports
 * Failed, so a broken hook fails the deployment at once instead of leaving it waiting for an hour.
 */
export async function reportVerdict(
  event: LifecycleEvent,
  check: () => Promise<Verdict>,
  log: (message: string, details: Record<string, string>) => void,
): Promise<Verdict> {
  let verdict: Verdict;
  try {
    verdict = await check();
  } catch (error) {
    verdict = { status: 'Failed', reason: `the check failed: ${(error as Error).message}` };
  }
  log('release hook verdict', { deploymentId: event.DeploymentId, ...verdict });
  await reportHookStatus(event, verdict.status);
  return verdict;
}
