import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The Lambda context object the runtime would pass, for invoking handler modules in-process. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Loads a handler module the way Lambda does: by path, reading its `handler` export (after env vars are set). */
export async function loadHandler(projectRoot: string, modulePath: string): Promise<LambdaHandler> {
  const loaded = (await import(`${projectRoot}/${modulePath}`)) as { handler?: LambdaHandler };
  if (typeof loaded.handler !== 'function') throw new Error(`${modulePath} does not export a handler`);
  return loaded.handler;
}

/** Function names follow the handler file name, as the CDK stack names its functions. */
export function functionNameOf(modulePath: string): string {
  return modulePath.replace(/^.*\//, '').replace(/\.ts$/, '');
}
