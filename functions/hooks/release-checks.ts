import * as z from 'zod/mini';
import { isReleaseProbe, releaseProbeKey } from '../core/handlers/job-handler';

/**
 * What the CodeDeploy lifecycle hooks decide, as pure functions: the synthetic request each kind of function gets
 * before any traffic reaches its new version, whether the version's answer is the expected one, and whether the
 * alarms read after the traffic shift let the release stand. The handlers (pre-traffic.ts, post-traffic.ts) only
 * move data between these and AWS.
 */

export type ProbeKind = 'api-route' | 'saga-task' | 'job';
export const probeKinds: readonly ProbeKind[] = ['api-route', 'saga-task', 'job'];

export type HookStatus = 'Succeeded' | 'Failed';

export interface Verdict {
  readonly status: HookStatus;
  readonly reason: string;
}

/** What Lambda's Invoke API answered for the new version. */
export interface InvokeResult {
  readonly statusCode: number;
  /** The X-Amz-Function-Error header: set when the function threw (`Unhandled`). */
  readonly functionError?: string;
  readonly payload: string;
}

/**
 * The synthetic request per kind. None changes state:
 * - an API route gets an API Gateway (v1 proxy) request whose body is not JSON: every route parses the body before
 *   its access rule, idempotency key or business code, so the only right answer is a 400 problem+json;
 * - a saga task gets an input without an order id: the task validates its input first and throws ValidationError,
 *   the typed error the state machine never catches as a business outcome;
 * - a job gets `{ releaseProbe: true }`: jobHandler answers it once the module (settings, clients) has loaded.
 */
export function probeEvent(kind: ProbeKind, deploymentId: string): unknown {
  switch (kind) {
    case 'api-route':
      return {
        resource: '/release-probe',
        path: '/release-probe',
        httpMethod: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'codedeploy-pre-traffic-hook' },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        requestContext: { requestId: `release-probe-${deploymentId}`, stage: 'release-probe' },
        body: '{ not json',
        isBase64Encoded: false,
      };
    case 'saga-task':
      return { [releaseProbeKey]: true };
    case 'job':
      return { [releaseProbeKey]: true };
  }
}

const routeAnswer = z.object({
  statusCode: z.number(),
  headers: z.optional(z.record(z.string(), z.string())),
  body: z.optional(z.string()),
});
const functionErrorPayload = z.object({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const failed = (reason: string): Verdict => ({ status: 'Failed', reason });
const succeeded = (reason: string): Verdict => ({ status: 'Succeeded', reason });

/** Whether the new version answered its kind's synthetic request as a healthy version does. */
export function judgeProbe(kind: ProbeKind, result: InvokeResult): Verdict {
  if (result.statusCode < 200 || result.statusCode >= 300) return failed(`Invoke answered ${result.statusCode}`);
  const payload = parseJson(result.payload);
  if (kind === 'saga-task') {
    const error = functionErrorPayload.safeParse(payload);
    // The message too: a minified bundle may rename the class, and with it the error type Lambda reports.
    const rejected =
      error.success && (error.data.errorType === 'ValidationError' || error.data.errorMessage === 'invalid task input');
    if (result.functionError && rejected) {
      return succeeded('the task rejected an input without an order id with ValidationError');
    }
    return failed(
      result.functionError
        ? `the task failed with ${error.success ? error.data.errorType : 'an unreadable error'}, not ValidationError`
        : 'the task accepted an input without an order id',
    );
  }
  if (result.functionError) {
    const error = functionErrorPayload.safeParse(payload);
    return failed(`the function failed (${error.success ? error.data.errorType : result.functionError})`);
  }
  if (kind === 'job') {
    return isReleaseProbe(payload)
      ? succeeded('the job loaded and answered the release probe')
      : failed('the job did not answer the release probe');
  }
  const answer = routeAnswer.safeParse(payload);
  if (!answer.success) return failed('the route answered something other than an API Gateway proxy result');
  const contentType = Object.entries(answer.data.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type');
  if (answer.data.statusCode !== 400) {
    return failed(`the route answered ${answer.data.statusCode} to a body that is not JSON, not 400`);
  }
  if (contentType?.[1] !== 'application/problem+json') return failed('the route answered 400 without problem+json');
  return succeeded('the route refused a body that is not JSON with a 400 problem+json');
}

/** An alarm as DescribeAlarms reports it. */
export interface AlarmState {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly updatedAt: Date;
}

export interface AlarmGate {
  readonly alarms: readonly AlarmState[];
  /** When the deployment was created: an alarm already firing then is not this release's doing. */
  readonly deploymentStartedAt: Date;
  /** The break-glass reason, when a deploy set one. */
  readonly breakGlass?: string;
}

/**
 * After all traffic has shifted: fails the deployment (CodeDeploy then rolls it back) when an alarm went into ALARM
 * since the deployment started. An alarm that was already firing when it started (a payment-provider outage, the
 * incident a hotfix is for) does not block the release: it is not this version's doing, and blocking it would
 * block the fix. Break glass passes whatever the alarms say; the version's own rollback alarms still apply.
 */
export function judgeAlarms(gate: AlarmGate): Verdict {
  const firing = gate.alarms.filter((alarm) => alarm.state === 'ALARM');
  const caused = firing.filter((alarm) => alarm.updatedAt.getTime() >= gate.deploymentStartedAt.getTime());
  if (gate.breakGlass !== undefined) {
    return succeeded(`break glass (${gate.breakGlass}): not gated on ${firing.map((a) => a.name).join(', ') || 'any'}`);
  }
  if (caused.length > 0) {
    return failed(`in ALARM since the deployment started: ${caused.map((alarm) => alarm.name).join(', ')}`);
  }
  const before = firing.map((alarm) => alarm.name);
  return succeeded(before.length > 0 ? `already in ALARM before the deployment: ${before.join(', ')}` : 'all OK');
}

/** The alarms the post-traffic check reads for one deployment group. */
export function alarmsToRead(
  deploymentGroup: string,
  config: { sloAlarms: readonly string[]; businessAlarm?: string; businessGroups: readonly string[] },
): string[] {
  const business =
    config.businessAlarm && config.businessGroups.includes(deploymentGroup) ? [config.businessAlarm] : [];
  return [...config.sloAlarms, ...business];
}

/**
 * The alarms in a CloudWatch DescribeAlarms (query API) answer. Each alarm's fields follow its AlarmName and come
 * before the next one's; nested lists (dimensions, actions, metrics) carry none of the three read here.
 */
export function parseDescribeAlarms(xml: string): AlarmState[] {
  const field = (chunk: string, tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(chunk)?.[1];
  return xml
    .split('<AlarmName>')
    .slice(1)
    .map((chunk) => {
      const state = field(chunk, 'StateValue');
      const updatedAt = field(chunk, 'StateUpdatedTimestamp');
      return {
        name: unescapeXml(chunk.slice(0, chunk.indexOf('</AlarmName>'))),
        state: state === 'ALARM' || state === 'OK' ? state : 'INSUFFICIENT_DATA',
        updatedAt: updatedAt ? new Date(updatedAt) : new Date(0),
      };
    });
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** `arn:aws:lambda:<region>:<account>:function:<name>:<version>` → name and version. */
export function versionOf(versionArn: string): { functionName: string; version: string } {
  const match = /^arn:[^:]+:lambda:[^:]+:\d+:function:([^:]+):(\d+)$/.exec(versionArn);
  if (!match) throw new Error(`not a Lambda version ARN: ${versionArn}`);
  return { functionName: match[1]!, version: match[2]! };
}

/** The JSON settings of the hooks (settings.releaseHooks()), validated. */
export const hookSettingsSchemas = {
  probe: z.enum(['api-route', 'saga-task', 'job']),
  targets: z.record(z.string(), z.string()),
  names: z.array(z.string()),
};

export function parseSetting<T>(schema: z.ZodMiniType<T>, name: string, raw: string | undefined): T {
  const result = schema.safeParse(raw === undefined ? undefined : (parseJson(raw) ?? raw));
  if (!result.success) throw new Error(`${name} is not set or malformed: ${z.prettifyError(result.error)}`);
  return result.data;
}
