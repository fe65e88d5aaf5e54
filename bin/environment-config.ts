import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

z.config(en());

const region = z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'));
const currency = z.string().check(z.regex(/^([A-Z]{3}|\*)$/, 'an ISO 4217 currency code, or * for any other'));
const logRetentionDays = z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(90), z.literal(365)]);

/**
 * One environment (dev, staging, prod) as declared in cdk.json under context.environments. Every stack reads only
 * this validated object; a typo or a missing field fails synth with the field's path.
 */
export const environmentConfigSchema = z.strictObject({
  /** Target account; omitted means the account of the credentials used for `cdk deploy`. */
  account: z.optional(z.string().check(z.regex(/^\d{12}$/, 'a 12-digit AWS account id'))),
  primaryRegion: region,
  /** Global-table replica regions (disaster recovery and reads); writes go to the primary region. */
  replicaRegions: z.array(region),
  sagaWorkflowType: z.enum(['EXPRESS', 'STANDARD']),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
  /** Share of requests traced by X-Ray, 0 to 1. */
  tracingSampleRate: z.number().check(z.gte(0), z.lte(1)),
  logRetentionDays,
  /** Keep tables, keys and logs when the stack is deleted (must be true for prod). */
  retainData: z.boolean(),
  api: z.strictObject({
    /** Stage-wide default throttle (requests per second and burst) for every method. */
    throttle: z.strictObject({ rateLimit: z.number().check(z.gt(0)), burstLimit: z.int().check(z.gt(0)) }),
    /** Usage plans by name: each API key belongs to one, which throttles it and caps its daily requests. */
    usagePlans: z.record(
      z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/, 'a kebab-case plan name')),
      z.strictObject({
        rateLimit: z.number().check(z.gt(0)),
        burstLimit: z.int().check(z.gt(0)),
        quotaPerDay: z.int().check(z.gt(0)),
        description: z.string(),
      }),
    ),
  }),
  payment: z.strictObject({
    apiUrl: z.url({ protocol: /^https$/ }),
    /** Secrets Manager secret holding the provider's API key (created empty by the stack; set it after deploy). */
    apiKeySecretName: z.string().check(z.minLength(1)),
    timeoutMs: z.int().check(z.gte(100), z.lte(25_000)),
  }),
  /** How long reserved stock stays held before the sweeper may release it. */
  holdMinutes: z.int().check(z.gte(1), z.lte(24 * 60)),
  /** The rules of the saga's CheckRisk step, applied before any stock is held or money is touched. */
  risk: z.strictObject({
    /** Largest order total per currency in minor units; `*` applies to currencies not listed. */
    maxOrderAmount: z.record(currency, z.int().check(z.gte(0))),
    /** Most orders one customer may place within an hour, the new one included. */
    maxOrdersPerHour: z.int().check(z.gte(1)),
  }),
  /** Scheduled jobs (functions/jobs/schedule.ts); every field has a default. */
  jobs: z._default(
    z.strictObject({
      /**
       * Age after which recover-orders restarts the saga of an order still in flight. It must exceed the saga's own
       * time limit (TimeoutSeconds in the ASL), or the job would start a second execution beside a live one.
       */
      recoveryAfterSeconds: z._default(z.int().check(z.gte(1), z.lte(24 * 3600)), 360),
      /** Overrides of the reconciliation job's RECONCILE_* settings; unset ones keep the job's defaults. */
      reconcile: z.optional(
        z.strictObject({
          graceSeconds: z.optional(z.int().check(z.gte(0))),
          paymentLookbackHours: z.optional(z.int().check(z.gte(1))),
          scanSegments: z.optional(z.int().check(z.gte(1), z.lte(1000))),
          confirmDelayMs: z.optional(z.int().check(z.gte(0), z.lte(60_000))),
        }),
      ),
    }),
    { recoveryAfterSeconds: 360 },
  ),
  /** Subscribed (by e-mail, after confirmation) to the alarm topic; without it, subscribe the on-call tool yourself. */
  alarmEmail: z.optional(z.email()),
  /**
   * Prefix of runbook links in alarm descriptions, such as `https://github.com/acme/orders/blob/main/`. Without it,
   * alarms name the runbook by its path in this repository (`docs/runbooks/<name>.md`).
   */
  runbookBaseUrl: z.optional(z.url({ protocol: /^https$/ }).check(z.regex(/\/$/, 'a URL ending in /'))),
  /**
   * AWS FIS chaos experiments on the saga task functions (docs/deploy.md, "Chaos experiments"). Unset, as by
   * default, creates no experiment and leaves the functions without the FIS extension.
   */
  chaos: z.optional(
    z.strictObject({
      /** The AWS FIS Lambda extension layer for arm64 in the primary region (a layer version ARN). */
      fisExtensionLayerArn: z
        .string()
        .check(z.regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/, 'a layer version ARN')),
      /** Share of invocations of each target function that get the fault, in percent. */
      invocationPercentage: z._default(z.int().check(z.gte(1), z.lte(100)), 20),
      /** How long each experiment injects faults. */
      durationMinutes: z._default(z.int().check(z.gte(1), z.lte(60)), 10),
      /** Latency the delay experiment adds before the handler runs. */
      delayMilliseconds: z._default(z.int().check(z.gte(1), z.lte(900_000)), 3000),
    }),
  ),
});

export type EnvironmentConfig = z.infer<typeof environmentConfigSchema>;
export const environmentNames = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof environmentNames)[number];

export function parseEnvironmentConfig(name: string, raw: unknown): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`invalid configuration for environment "${name}" in cdk.json:\n${problems.join('\n')}`);
  }
  if (name === 'prod' && !result.data.retainData) {
    throw new Error('invalid configuration for environment "prod": retainData must be true');
  }
  const layerRegion = result.data.chaos?.fisExtensionLayerArn.split(':')[3];
  if (layerRegion !== undefined && layerRegion !== result.data.primaryRegion) {
    // A function can only use a layer of its own region; CloudFormation would fail half way through the deploy.
    throw new Error(
      `invalid configuration for environment "${name}": chaos.fisExtensionLayerArn is in ${layerRegion}, ` +
        `the functions in ${result.data.primaryRegion}`,
    );
  }
  return result.data;
}

/** Reads `environments.<name>` from the cdk.json context object (CDK's `app.node.tryGetContext`). */
export function selectEnvironment(environments: unknown, name: string): EnvironmentConfig {
  if (!environments || typeof environments !== 'object') throw new Error('cdk.json context has no "environments"');
  const all = environments as Record<string, unknown>;
  if (!(name in all)) {
    throw new Error(`unknown environment "${name}"; cdk.json declares: ${Object.keys(all).join(', ')}`);
  }
  return parseEnvironmentConfig(name, all[name]);
}
