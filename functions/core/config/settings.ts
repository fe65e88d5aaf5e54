import * as z from 'zod/mini';
import { originRule, parseOriginList } from '../http/cors';
import { defaultDisableAfterSeconds, defaultRetryScheduleSeconds } from '../domain/webhooks';

/**
 * Every environment variable the functions read: its name, how it is validated and its default, each written once
 * here. CDK binds the same names (stacks/constructs/order-function.ts) and the local runtime sets them
 * (local/runtime/local-runtime.ts), both through `envNames` and `SettingsEnvironment`, so a misspelt name does not compile.
 *
 * Variables come in groups, one per adapter or concern, and each group is parsed on its own the first time a
 * function asks for it: a function only gets the variables of what it is granted (see the bind methods of
 * OrderFunction), so it must never fail over a variable that belongs to an adapter it does not bundle. A missing or
 * malformed variable fails the cold start with an error naming it.
 */

/** Blank counts as unset, as it always has: CDK and shells sometimes write an empty value for "none". */
const unset = (raw: string | undefined) => (raw === undefined || raw.trim() === '' ? undefined : raw);

const missing = 'is not set';

/*
 * Each helper below returns how to build a variable's schema, not the schema: a group's schemas are built the first
 * time the group is parsed. A function parses only the few groups of what it is granted, and building every group's
 * (some 70 zod schemas) at load cost every function about 3 ms of its cold start.
 */

/** A value that must be present. */
function required() {
  return () => z.string({ error: (issue) => (issue.input === undefined ? missing : 'must be a string') });
}

/** A value that may be absent. */
function optional() {
  return () => z.optional(z.string());
}

/** A whole number within [min, max], `fallback` when unset. */
function integer(fallback: number, min = 0, max?: number) {
  return () => z._default(integerValue(min, max), fallback);
}

/** A whole number within [min, max], undefined when unset (the consumer owns the default). */
function optionalInteger(min = 0) {
  return () => z.optional(integerValue(min));
}

function integerValue(min: number, max?: number) {
  const range = max === undefined ? `>= ${min}` : `between ${min} and ${max}`;
  return z.pipe(
    z.string(),
    z.transform((raw: string, context) => {
      const value = Number(raw);
      if (Number.isInteger(value) && value >= min && (max === undefined || value <= max)) return value;
      context.issues.push({
        code: 'custom',
        input: raw,
        message: `must be an integer ${range}, got ${JSON.stringify(raw)}`,
      });
      return z.NEVER;
    }),
  );
}

/** A JSON object of currency code (or `*` for any other) → amount in minor units. */
function amountsPerCurrency(fallback: Readonly<Record<string, number>>) {
  const message = 'must be a JSON object of currency → integer minor units >= 0';
  return () => {
    const amounts = z.record(z.string(), z.int().check(z.gte(0)));
    return z._default(
      z.pipe(
        z.string(),
        z.transform((raw: string, context) => {
          let json: unknown;
          try {
            json = JSON.parse(raw);
          } catch {
            context.issues.push({ code: 'custom', input: raw, message: `${message}, got invalid JSON` });
            return z.NEVER;
          }
          const parsed = amounts.safeParse(json);
          if (parsed.success) return parsed.data as Readonly<Record<string, number>>;
          context.issues.push({ code: 'custom', input: raw, message: `${message}, got ${raw}` });
          return z.NEVER;
        }),
      ),
      fallback,
    );
  };
}

/** A number within [min, max], undefined when unset. */
function optionalNumber(min: number, max: number) {
  return () =>
    z.optional(
      z.pipe(
        z.string(),
        z.transform((raw: string, context) => {
          const value = Number(raw);
          if (Number.isFinite(value) && value >= min && value <= max) return value;
          context.issues.push({
            code: 'custom',
            input: raw,
            message: `must be a number between ${min} and ${max}, got ${JSON.stringify(raw)}`,
          });
          return z.NEVER;
        }),
      ),
    );
}

/** A comma-separated list of browser origins (functions/core/http/cors.ts), none when unset. */
function originList() {
  return () =>
    z._default(
      z.pipe(
        z.string(),
        z.transform((raw: string, context) => {
          const { origins, invalid } = parseOriginList(raw);
          if (invalid === undefined) return origins;
          context.issues.push({
            code: 'custom',
            input: raw,
            message: `must be a comma-separated list of origins, each ${originRule}, got ${JSON.stringify(invalid)}`,
          });
          return z.NEVER;
        }),
      ),
      [],
    );
}

/** `true` or `false`, `fallback` when unset. */
function flag(fallback = false) {
  return () =>
    z._default(
      z.pipe(
        z.string(),
        z.transform((raw: string, context) => {
          if (raw === 'true' || raw === 'false') return raw === 'true';
          context.issues.push({
            code: 'custom',
            input: raw,
            message: `must be true or false, got ${JSON.stringify(raw)}`,
          });
          return z.NEVER;
        }),
      ),
      fallback,
    );
}

/** Comma-separated whole seconds (at least one), `fallback` when unset. */
function secondsList(fallback: readonly number[]) {
  return () =>
    z._default(
      z.pipe(
        z.string(),
        z.transform((raw: string, context) => {
          const values = raw.split(',').map((part) => Number(part.trim()));
          if (values.length > 0 && values.every((value) => Number.isInteger(value) && value >= 0)) {
            return values as readonly number[];
          }
          context.issues.push({
            code: 'custom',
            input: raw,
            message: `must be comma-separated whole seconds, got ${JSON.stringify(raw)}`,
          });
          return z.NEVER;
        }),
      ),
      fallback,
    );
}

function variable<const Name extends string, Schema extends z.ZodMiniType>(name: Name, schema: () => Schema) {
  return { name, schema };
}

/** The groups, by the adapter or concern that reads them. Keys are the names in code; `name` is the variable's. */
const definitions = {
  /** The orders table (every function that touches orders, stock or the catalog). */
  table: { tableName: variable('TABLE_NAME', required()) },
  /**
   * The table's regions, where it has replicas (docs/regions.md): every write then checks that this region is the
   * active one. Unset (one region): nothing is fenced. AWS_REGION names this function's own region.
   */
  regions: {
    primaryRegion: variable('PRIMARY_REGION', optional()),
    standbyRegions: variable('STANDBY_REGIONS', optional()),
    roleCacheMs: variable('REGION_ROLE_CACHE_MS', integer(1000, 0, 60_000)),
  },
  /** How long reserved stock stays held before the sweeper may release it. */
  stockHolds: { holdMinutes: variable('HOLD_MINUTES', integer(15)) },
  /** Powertools' idempotency persistence (POST routes). */
  idempotency: {
    tableName: variable('IDEMPOTENCY_TABLE_NAME', required()),
    ttlSeconds: variable('IDEMPOTENCY_TTL_SECONDS', integer(24 * 60 * 60)),
  },
  /** The order saga's state machine (place order, readiness, recovery). */
  orderWorkflow: { stateMachineArn: variable('STATE_MACHINE_ARN', required()) },
  /** The cancellation (compensation) state machine. */
  cancellationWorkflow: { stateMachineArn: variable('CANCELLATION_STATE_MACHINE_ARN', required()) },
  events: { eventBusName: variable('EVENT_BUS_NAME', required()) },
  /** Orders an operator must look at. */
  attentionQueue: { queueUrl: variable('ATTENTION_QUEUE_URL', required()) },
  /**
   * Partner webhooks (docs/webhooks.md): the delivery queue (the fan-out, manual retries and replays send to it, the
   * sender chains its delays through it) and its dead-letter queue (deliveries whose retries are spent).
   */
  webhookQueue: { queueUrl: variable('WEBHOOK_QUEUE_URL', required()) },
  webhookDeadLetters: { queueUrl: variable('WEBHOOK_DEAD_LETTER_QUEUE_URL', required()) },
  /**
   * How webhooks are sent and accepted. WEBHOOKS_ALLOW_LOOPBACK (`true`) lets endpoints be plain http on loopback:
   * only the offline runtime sets it, to deliver to receivers on this machine. The retry schedule is the seconds
   * between attempts (comma-separated; the production one when unset), which tests shorten.
   */
  webhooks: {
    allowLoopback: variable('WEBHOOKS_ALLOW_LOOPBACK', flag()),
    retryScheduleSeconds: variable('WEBHOOK_RETRY_SCHEDULE_SECONDS', secondsList(defaultRetryScheduleSeconds)),
    disableAfterSeconds: variable('WEBHOOK_DISABLE_AFTER_SECONDS', integer(defaultDisableAfterSeconds, 1)),
  },
  /** How long a function instance serves public catalog reads from memory; 0 turns the cache off. */
  catalogCache: { ttlMs: variable('CATALOG_CACHE_TTL_MS', integer(5000)) },
  /**
   * The payment provider, Stripe. PAYMENT_API_URL is Stripe's API base (`https://api.stripe.com`; offline the local
   * Stripe sandbox), whose host, port and protocol the SDK is given. The Stripe secret key comes from Secrets Manager
   * in AWS (its ARN) or the environment offline (the key itself): one of the two must be set. The breaker settings
   * default to the adapter's defaultPaymentResilience.
   */
  payment: {
    apiUrl: variable('PAYMENT_API_URL', required()),
    apiKeySecretArn: variable('PAYMENT_API_KEY_SECRET_ARN', optional()),
    apiKey: variable('PAYMENT_API_KEY', optional()),
    timeoutMs: variable('PAYMENT_TIMEOUT_MS', integer(3000)),
    breakerThreshold: variable('PAYMENT_BREAKER_THRESHOLD', optionalInteger()),
    breakerHalfOpenMs: variable('PAYMENT_BREAKER_HALF_OPEN_MS', optionalInteger()),
  },
  /**
   * How long after a failed payment an authorization may still appear at the provider (a request that timed out
   * here but was processed there): the compensations run once more after it. Longer than the provider's own limit.
   */
  paymentSettlement: { settleSeconds: variable('PAYMENT_SETTLE_SECONDS', integer(120)) },
  /**
   * Stripe's webhooks: the endpoint's signing secret (`whsec_…`) from Secrets Manager in AWS (its ARN) or the
   * environment offline; how old a signed event may be; how long an event id is remembered (past Stripe's 3 days of
   * redeliveries).
   */
  paymentWebhooks: {
    signingSecretArn: variable('PAYMENT_WEBHOOK_SECRET_ARN', optional()),
    signingSecret: variable('PAYMENT_WEBHOOK_SECRET', optional()),
    toleranceSeconds: variable('PAYMENT_WEBHOOK_TOLERANCE_SECONDS', integer(300)),
    dedupSeconds: variable('PAYMENT_WEBHOOK_DEDUP_SECONDS', integer(7 * 24 * 60 * 60)),
  },
  /**
   * How long a customer has to finish the payment's authentication (3-D Secure) before the order fails with
   * PAYMENT_AUTHENTICATION_EXPIRED and its stock goes back; shorter than the stock holds (cdk.json checks it).
   */
  paymentAuthentication: { deadlineSeconds: variable('PAYMENT_AUTHENTICATION_DEADLINE_SECONDS', integer(600, 1)) },
  /** The continuation workflow of held orders (confirm route, webhook, recovery). */
  continuationWorkflow: { stateMachineArn: variable('CONTINUATION_STATE_MACHINE_ARN', required()) },
  /** How old an in-flight order must be before its saga is restarted (the saga's time limit plus a margin). */
  recovery: { afterSeconds: variable('RECOVERY_AFTER_SECONDS', integer(360)) },
  /** The risk check's limits (functions/core/domain/risk.ts). */
  risk: {
    maxOrderAmount: variable('RISK_MAX_ORDER_AMOUNT', amountsPerCurrency({ '*': 1_000_000 })),
    /** A shopper's orders per hour. */
    maxOrdersPerHour: variable('RISK_MAX_ORDERS_PER_HOUR', integer(20, 1)),
    /** A partner's orders per hour (all its customers' together). */
    maxPartnerOrdersPerHour: variable('RISK_MAX_PARTNER_ORDERS_PER_HOUR', integer(5000, 1)),
    /** The fraud model's thresholds (docs/models.md); unset: the model file's own. */
    reviewThreshold: variable('RISK_REVIEW_THRESHOLD', optionalNumber(0, 1)),
    rejectThreshold: variable('RISK_REJECT_THRESHOLD', optionalNumber(0, 1)),
    /**
     * A model file to load instead of the one bundled with the function (an absolute path, e.g. in a layer). A
     * missing or invalid file leaves the step on the static rules.
     */
    modelFile: variable('RISK_MODEL_FILE', optional()),
    /**
     * How long an order scored for review waits in REVIEW before the recovery job rejects it (RISK_REJECTED);
     * shorter than the payment authorization's validity (cdk.json checks it).
     */
    reviewDeadlineSeconds: variable('RISK_REVIEW_DEADLINE_SECONDS', integer(24 * 60 * 60, 1)),
  },
  /** Reorder suggestions from the demand forecast (functions/core/forecast/inventory.ts). */
  inventory: {
    leadTimeDays: variable('INVENTORY_LEAD_TIME_DAYS', integer(7, 1, 365)),
    /** The service level in per mille (950 = 95 % of replenishment cycles without a stock-out). */
    serviceLevelPerMille: variable('INVENTORY_SERVICE_LEVEL_PER_MILLE', integer(950, 500, 999)),
  },
  /** The reconciliation job; CDK passes only what an environment overrides. */
  reconciliation: {
    graceSeconds: variable('RECONCILE_GRACE_SECONDS', integer(120)),
    paymentLookbackHours: variable('RECONCILE_PAYMENT_LOOKBACK_HOURS', integer(72, 1)),
    scanSegments: variable('RECONCILE_SCAN_SEGMENTS', integer(4, 1, 1_000_000)),
    confirmDelayMs: variable('RECONCILE_CONFIRM_DELAY_MS', integer(2000)),
  },
  /**
   * Where feature flags come from: the file FEATURE_FLAGS_FILE names (offline), otherwise the AppConfig profile the
   * other three name (all three are then required).
   */
  featureFlags: {
    file: variable('FEATURE_FLAGS_FILE', optional()),
    application: variable('FEATURE_FLAGS_APPLICATION', optional()),
    environment: variable('FEATURE_FLAGS_ENVIRONMENT', optional()),
    profile: variable('FEATURE_FLAGS_PROFILE', optional()),
    /** How long a function instance serves flags from memory before asking the source again. */
    maxAgeSeconds: variable('FEATURE_FLAGS_MAX_AGE_SECONDS', integer(30)),
  },
  /**
   * Customer emails (SES v2 templates, docs/customer-emails.md): the verified sender, the prefix of the
   * environment's template names (`orders-<env>-`) and, optionally, the configuration set that records deliveries.
   */
  email: {
    fromAddress: variable('EMAIL_FROM_ADDRESS', required()),
    templatePrefix: variable('EMAIL_TEMPLATE_PREFIX', required()),
    configurationSetName: variable('EMAIL_CONFIGURATION_SET', optional()),
  },
  /** Browser origins allowed to call the API (CORS); every API function reads it, none allowed when unset. */
  cors: { allowedOrigins: variable('CORS_ALLOWED_ORIGINS', originList()) },
  /**
   * The primary region's user pool whose signing keys the mirror job copies into the global table (AWS only,
   * docs/identity.md, "Regional failover"); the standby's authorizer reads the pool id from the mirrored item.
   */
  identity: { userPoolId: variable('IDENTITY_USER_POOL_ID', required()) },
  /** Faults to inject (docs/fault-injection.md); its JSON is validated by functions/core/observability. */
  faultInjection: { config: variable('FAULT_INJECTION', optional()) },
  /**
   * The CodeDeploy lifecycle hooks (functions/hooks/, AWS only): the pre-traffic hooks use the first two, the
   * post-traffic hook the others. JSON values are validated by functions/hooks/release-checks.ts.
   */
  releaseHooks: {
    /** Which synthetic request the pre-traffic hook sends: `api-route`, `saga-task` or `job`. */
    probe: variable('RELEASE_PROBE', optional()),
    /** JSON object: deployment group name → ARN of the version the group's deployment shifts traffic to. */
    targets: variable('RELEASE_TARGETS', optional()),
    /** JSON array: the service level alarms every post-traffic check reads. */
    sloAlarms: variable('RELEASE_SLO_ALARMS', optional()),
    /** The business alarm (order failure rate), read after the deployments of `businessGroups` only. */
    businessAlarm: variable('RELEASE_BUSINESS_ALARM', optional()),
    /** JSON array: the deployment groups on the order path, whose promotion the business alarm gates. */
    businessGroups: variable('RELEASE_BUSINESS_GROUPS', optional()),
    /** Set (to the reason) by `cdk deploy -c breakGlass=<reason>`: the post-traffic check passes whatever it reads. */
    breakGlass: variable('RELEASE_BREAK_GLASS', optional()),
  },
} as const;

type Definitions = typeof definitions;
export type SettingsGroup = keyof Definitions;

/** What a group parses to, by its keys in code. */
export type Settings<Group extends SettingsGroup> = {
  readonly [Key in keyof Definitions[Group]]: Definitions[Group][Key] extends {
    schema: () => infer Schema extends z.ZodMiniType;
  }
    ? z.output<Schema>
    : never;
};

type NamesOf<Group extends SettingsGroup> = {
  readonly [Key in keyof Definitions[Group]]: Definitions[Group][Key] extends { name: infer Name } ? Name : never;
};

/** The name of every variable, by group and key: `envNames.table.tableName` is 'TABLE_NAME'. */
export const envNames = Object.fromEntries(
  Object.entries(definitions).map(([group, variables]) => [
    group,
    Object.fromEntries(Object.entries(variables).map(([key, { name }]) => [key, name])),
  ]),
) as { readonly [Group in SettingsGroup]: NamesOf<Group> };

/** Every variable this module defines. */
export type SettingName = { [Group in SettingsGroup]: NamesOf<Group>[keyof NamesOf<Group>] }[SettingsGroup];

/** Every variable this module defines, as a list. */
export const settingNames = Object.values(envNames).flatMap((names) => Object.values(names)) as readonly SettingName[];

/**
 * Variables that libraries and the AWS runtime read, not our code: listed so that CDK and the local runtime set
 * them by checked names too. Their meaning is the library's (Powertools, the AWS SDK).
 */
export const libraryEnvNames = [
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_TRACE_ENABLED',
  'POWERTOOLS_METRICS_DISABLED',
  'POWERTOOLS_DEV',
  'NODE_OPTIONS',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SFN',
  'AWS_ENDPOINT_URL_EVENTBRIDGE',
  'AWS_ENDPOINT_URL_SQS',
  'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER',
  'AWS_ENDPOINT_URL_API_GATEWAY',
  'AWS_ENDPOINT_URL_SESV2',
] as const;
export type LibraryEnvName = (typeof libraryEnvNames)[number];

/** An environment for the functions, as CDK or the local runtime writes it. */
export type SettingsEnvironment = { [Name in SettingName | LibraryEnvName]?: string };

interface Problem {
  readonly variables: readonly string[];
  readonly message: string;
}

/** Checks across the variables of a group, each naming the variables to set. */
const groupChecks: { readonly [Group in SettingsGroup]?: (values: Settings<Group>) => Problem[] } = {
  payment: (values) => {
    const { apiKeySecretArn, apiKey } = envNames.payment;
    return values.apiKeySecretArn === undefined && values.apiKey === undefined
      ? [
          {
            variables: [apiKeySecretArn, apiKey],
            message: `${apiKeySecretArn} (AWS) or ${apiKey} (offline) ${missing}`,
          },
        ]
      : [];
  },
  featureFlags: (values) =>
    values.file !== undefined
      ? []
      : (['application', 'environment', 'profile'] as const)
          .filter((key) => values[key] === undefined)
          .map((key) => ({
            variables: [envNames.featureFlags[key]],
            message: `${envNames.featureFlags[key]} ${missing} (nor ${envNames.featureFlags.file})`,
          })),
};

/** Variables that are missing or malformed; `variables` names each one at fault. */
export class SettingsError extends Error {
  readonly variables: readonly string[];

  constructor(problems: readonly Problem[]) {
    super(`invalid environment: ${problems.map((problem) => problem.message).join('; ')}`);
    this.name = 'SettingsError';
    this.variables = problems.flatMap((problem) => problem.variables);
  }
}

const schemas = new Map<SettingsGroup, z.ZodMiniType>();

function schemaOf(group: SettingsGroup): z.ZodMiniType {
  let schema = schemas.get(group);
  if (!schema) {
    const variables = definitions[group] as Record<string, { schema: () => z.ZodMiniType }>;
    schema = z.object(Object.fromEntries(Object.entries(variables).map(([key, { schema: build }]) => [key, build()])));
    schemas.set(group, schema);
  }
  return schema;
}

function rawValues(group: SettingsGroup, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const variables = definitions[group] as Record<string, { name: string }>;
  return Object.fromEntries(Object.entries(variables).map(([key, { name }]) => [key, unset(env[name])]));
}

function parse<Group extends SettingsGroup>(group: Group, raw: Record<string, string | undefined>): Settings<Group> {
  const names = envNames[group] as Record<string, string>;
  const result = schemaOf(group).safeParse(raw);
  if (!result.success) {
    throw new SettingsError(
      result.error.issues.map((issue) => {
        const name = names[String(issue.path[0])] ?? group;
        return { variables: [name], message: `${name} ${issue.message}` };
      }),
    );
  }
  const values = result.data as Settings<Group>;
  const check = groupChecks[group] as ((values: Settings<Group>) => Problem[]) | undefined;
  const problems = check?.(values) ?? [];
  if (problems.length > 0) throw new SettingsError(problems);
  return values;
}

/** Parses one group from `env`, without caching: for tests and tools that hold an environment of their own. */
export function readSettings<Group extends SettingsGroup>(
  group: Group,
  env: NodeJS.ProcessEnv = process.env,
): Settings<Group> {
  return parse(group, rawValues(group, env));
}

const parsed = new Map<SettingsGroup, { readonly key: string; readonly values: unknown }>();

/**
 * One group of this process's settings, parsed on first use. In Lambda the environment never changes, so each group
 * is parsed once per cold start; offline, one process may host runtimes started one after another with other
 * values, so a group is parsed again when its raw values differ from the last parse (comparing them costs nothing).
 */
function cached<Group extends SettingsGroup>(group: Group): Settings<Group> {
  const raw = rawValues(group, process.env);
  const key = JSON.stringify(raw);
  const hit = parsed.get(group);
  if (hit?.key === key) return hit.values as Settings<Group>;
  const values = parse(group, raw);
  parsed.set(group, { key, values });
  return values;
}

/** This function's settings, one accessor per group: `settings.table().tableName`. */
export const settings = Object.fromEntries(
  (Object.keys(definitions) as SettingsGroup[]).map((group) => [group, () => cached(group)]),
) as { readonly [Group in SettingsGroup]: () => Settings<Group> };
