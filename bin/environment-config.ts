import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { routes, type RouteId } from '../functions/api/routes';
import { isOrigin, originRule } from '../functions/core/http/cors';

z.config(en());

const throttle = z.strictObject({ rateLimit: z.number().check(z.gt(0)), burstLimit: z.int().check(z.gt(0)) });
const planName = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,40}$/, 'a kebab-case name'));
const routeId = z.string().check(
  z.refine((id) => id in routes, {
    message: `a route id of functions/api/routes.ts (${Object.keys(routes).join(', ')})`,
  }),
);

/**
 * A limit per caller on one route: requests one caller may send within the window. In AWS a WAF rate-based rule
 * keyed on the request's bearer token enforces it (stacks/constructs/api-firewall.ts); offline the local gateway does.
 */
const perCallerLimit = z.strictObject({
  /** Requests per window; WAF's smallest rate-based limit is 10. */
  limit: z.int().check(z.gte(10), z.lte(2_000_000_000)),
  windowSeconds: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]),
});

const region = z.string().check(z.regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1'));
const currency = z.string().check(z.regex(/^([A-Z]{3}|\*)$/, 'an ISO 4217 currency code, or * for any other'));
const logRetentionDays = z.union([z.literal(7), z.literal(14), z.literal(30), z.literal(90), z.literal(365)]);

/** CodeDeploy's predefined Lambda deployment configurations (`CodeDeployDefault.Lambda<name>`). */
export const lambdaDeploymentConfigNames = [
  'AllAtOnce',
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
] as const;
export type LambdaDeploymentConfigName = (typeof lambdaDeploymentConfigNames)[number];

const hostname = z
  .string()
  .check(z.regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a lower-case DNS name'));

/** AWS WAF in front of the API stage (docs/deploy.md, "Edge protection"). */
const firewall = z.strictObject({
  /**
   * Requests one client IP address may send within `ipRateWindowSeconds`; beyond it WAF answers 429 until the rate
   * drops. Size it above the busiest single-address caller (a partner backend at its usage plan's rate).
   */
  ipRateLimit: z.int().check(z.gte(10), z.lte(2_000_000_000)),
  ipRateWindowSeconds: z._default(z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]), 300),
  /** What the anonymous-IP list (VPNs, Tor, hosting providers) does: COUNT only labels and logs, BLOCK refuses. */
  anonymousIpAction: z._default(z.enum(['COUNT', 'BLOCK']), 'COUNT'),
});

/** The API Gateway cache of the public catalog GETs (stacks/stage-cache.ts); unset means no cache cluster. */
const stageCache = z.strictObject({
  /** Cache cluster size in GB, as API Gateway names them. */
  clusterSizeGb: z.enum(['0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237']),
  /** How long a cached answer is served; the catalog handlers themselves say `max-age=30`. */
  ttlSeconds: z.int().check(z.gte(1), z.lte(3600)),
});

const certificateArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, 'an ACM certificate ARN'));

/**
 * A custom domain for the API, with mutual TLS where a truststore is given. With a domain the default `execute-api`
 * endpoint is always off, so no caller can go around the domain's TLS policy and mTLS check.
 */
const customDomain = z.strictObject({
  domainName: hostname,
  /** An ACM certificate for `domainName` in the primary region (a REGIONAL endpoint uses its own region's). */
  certificateArn,
  /** Public hosted zone of the domain: with it the stack creates the alias record, without it you create the DNS. */
  hostedZoneId: z.optional(
    z.string().check(z.regex(/^Z[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone id such as Z0123ABC')),
  ),
  /** PEM bundle of the CA certificates partner client certificates must chain to: `s3://bucket/key`. */
  mtlsTruststoreUri: z.optional(
    z
      .string()
      .check(z.regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/, 'an S3 URI such as s3://bucket/truststore.pem')),
  ),
  /** S3 object version of the truststore (bucket versioning); pins it so a changed bundle needs a deploy. */
  mtlsTruststoreVersion: z.optional(z.string().check(z.minLength(1))),
  /**
   * Route 53 failover between the primary and the standby region under `domainName` (docs/deploy.md, "Regional
   * failover"): needs `hostedZoneId` and replica regions, and excludes mTLS (the health checks call each region's
   * execute-api endpoint, which therefore stays on).
   */
  failover: z.optional(
    z.strictObject({
      /** An ACM certificate for `domainName` in each replica region, by region. */
      replicaCertificateArns: z.record(region, certificateArn),
      /** Seconds between two checks of each health checker (Route 53 offers 10 and 30). */
      healthCheckIntervalSeconds: z._default(z.union([z.literal(10), z.literal(30)]), 30),
      /** Consecutive failed checks before a region counts as unhealthy. */
      failureThreshold: z._default(z.int().check(z.gte(1), z.lte(10)), 3),
    }),
  ),
});

/**
 * Which browser origins may call the API (CORS, functions/core/http/cors.ts): each exactly as a browser sends it in
 * the Origin header. Responses echo an allowed origin, never `*`; an empty list lets no browser page read answers.
 */
const cors = z.strictObject({
  allowedOrigins: z.array(z.string().check(z.refine(isOrigin, originRule))),
});

/** A tag value AWS accepts everywhere (SNS, Budgets and the rest share this character set). */
const tagValue = z
  .string()
  .check(z.regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u, 'a tag value (letters, digits, spaces, _.:/=+-@)'));

/** Where alarms are delivered; each topic also reaches whoever subscribes to it outside the stack. */
const onCall = z.strictObject({
  /**
   * The HTTPS events URL of the paging service (PagerDuty, Opsgenie), subscribed to the page topic. AWS sends it a
   * subscription confirmation the service must accept (PagerDuty and Opsgenie SNS integrations do).
   */
  pagingEndpoint: z.optional(z.url({ protocol: /^https$/ })),
  /** E-mail subscriptions by topic: each address must confirm the subscription from the e-mail AWS sends. */
  emails: z._default(
    z.strictObject({
      page: z._default(z.array(z.email()), []),
      ticket: z._default(z.array(z.email()), []),
    }),
    { page: [], ticket: [] },
  ),
  /**
   * An AWS Chatbot Slack channel that receives both topics. The workspace must first be authorised in the AWS
   * Chatbot console (a one-time OAuth step no template can do).
   */
  slack: z.optional(
    z.strictObject({
      workspaceId: z.string().check(z.regex(/^[A-Z0-9]{9,11}$/, 'a Slack workspace id such as T07EA123LEP')),
      channelId: z.string().check(z.regex(/^[A-Z0-9]{9,11}$/, 'a Slack channel id such as C07EZ1ABC23')),
    }),
  ),
});

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
  /**
   * Lambda's own lines per invocation (START, END and REPORT with Init Duration and Max Memory Used: about 430 bytes)
   * are kept where this is true; where false, only Lambda's warnings and errors are (its system log level WARN).
   * Defaults to true at log level DEBUG, false otherwise (`lambdaLogging` in stacks/constructs/order-function.ts).
   */
  lambdaReportLines: z.optional(z.boolean()),
  /** Share of requests traced by X-Ray, 0 to 1. */
  tracingSampleRate: z.number().check(z.gte(0), z.lte(1)),
  logRetentionDays,
  /** Keep tables, keys and logs when the stack is deleted (must be true for prod). */
  retainData: z.boolean(),
  api: z.strictObject({
    /** Stage-wide default throttle (requests per second and burst) for every method. */
    throttle,
    /**
     * Method throttles by route id (functions/api/routes.ts): one bucket per method shared by every caller, the
     * ceiling of that route whatever the usage plans allow. Routes not listed take the stage default.
     */
    methodThrottles: z._default(z.record(routeId, throttle), {}),
    /** Per-caller limits by route id: what one token may send, so that one caller cannot starve the others. */
    perCallerLimits: z._default(z.record(routeId, perCallerLimit), {}),
    /** Usage-plan tiers by name: each API key belongs to one, which throttles it and caps its daily requests. */
    usagePlans: z.record(
      planName,
      z.strictObject({
        rateLimit: z.number().check(z.gt(0)),
        burstLimit: z.int().check(z.gt(0)),
        /**
         * Requests per key per day (reset at 00:00 UTC). Leave it out for a tier whose keys ship to browsers and
         * phones: anyone can copy such a key, and a quota would let one holder lock every shopper out until midnight;
         * its throttle and the web ACL's per-IP and per-caller rules bound what a copy can do instead.
         */
        quotaPerDay: z.optional(z.int().check(z.gt(0))),
        description: z.string(),
      }),
    ),
    /**
     * The client apps the stack issues an API key to, one key each (a storefront, a mobile app), in a usage plan.
     * Partners get theirs from `npm run partner -- create`. A key identifies an app for its quota; it is no
     * credential, and a leaked key drains only that app's quota.
     */
    clientApps: z.record(planName, z.strictObject({ plan: planName, description: z.string() })),
    firewall,
    /** Only where set (prod): a cache cluster for the public catalog GETs. */
    cache: z.optional(stageCache),
    customDomain: z.optional(customDomain),
    cors,
  }),
  payment: z.strictObject({
    apiUrl: z.url({ protocol: /^https$/ }),
    /** Secrets Manager secret holding the provider's API key (created empty by the stack; set it after deploy). */
    apiKeySecretName: z.string().check(z.minLength(1)),
    /** Secrets Manager secret holding the webhook endpoint's signing secret (`whsec_…`, set after deploy). */
    webhookSecretName: z.string().check(z.minLength(1)),
    timeoutMs: z.int().check(z.gte(100), z.lte(25_000)),
    /**
     * How long a customer has to finish 3-D Secure before the order fails (PAYMENT_AUTHENTICATION_EXPIRED) and its
     * stock goes back. Shorter than `holdMinutes`, so the stock stays held for as long as the customer may finish.
     */
    authenticationDeadlineMinutes: z.int().check(z.gte(1), z.lte(24 * 60)),
  }),
  /** How long reserved stock stays held before the sweeper may release it. */
  holdMinutes: z.int().check(z.gte(1), z.lte(24 * 60)),
  /** The rules of the saga's CheckRisk step, applied before any stock is held or money is touched. */
  risk: z.strictObject({
    /** Largest order total per currency in minor units; `*` applies to currencies not listed. */
    maxOrderAmount: z.record(currency, z.int().check(z.gte(0))),
    /**
     * Most orders one caller may place within an hour, the new one included, by kind of caller: a shopper, or a
     * partner placing orders for many customers of its own.
     */
    maxOrdersPerHour: z.strictObject({ customer: z.int().check(z.gte(1)), partner: z.int().check(z.gte(1)) }),
    /**
     * The fraud model's score thresholds (docs/models.md): from `review` an order is scored for review, from
     * `reject` it fails with RISK_REJECTED. Each one left out keeps the model file's own.
     */
    /**
     * How long an order scored for review waits in REVIEW (payment authorized, stock held) before the recovery job
     * rejects it (RISK_REJECTED). At most 6 days: a card authorization lapses after about 7 (the provider's limit),
     * and the day in between leaves room for the expiry pass to void it first. The stock holds do not bound it:
     * held orders keep their stock until decided (the sweeper of `holdMinutes` only fails in-flight orders).
     */
    reviewDeadlineHours: z.int().check(z.gte(1), z.lte(6 * 24)),
    thresholds: z.optional(
      z
        .strictObject({
          review: z.optional(z.number().check(z.gte(0), z.lte(1))),
          reject: z.optional(z.number().check(z.gte(0), z.lte(1))),
        })
        .check(
          z.refine(
            (value) => value.review === undefined || value.reject === undefined || value.review <= value.reject,
            'review must not exceed reject',
          ),
        ),
    ),
  }),
  /**
   * Reorder suggestions from the demand forecast: the supplier's lead time in days and the service level (the share
   * of replenishment cycles without a stock-out, 0.5–0.999) that sets the safety stock.
   */
  inventory: z._default(
    z.strictObject({
      leadTimeDays: z.int().check(z.gte(1), z.lte(365)),
      serviceLevel: z.number().check(z.gte(0.5), z.lte(0.999)),
    }),
    { leadTimeDays: 7, serviceLevel: 0.95 },
  ),
  /**
   * Customer emails through SES (docs/customer-emails.md). `fromAddress` must belong to a verified SES identity of the
   * primary region: `identity`, the address's domain by default (or the address itself, if only that is verified).
   * The stack adds the environment's templates and a configuration set (`orders-<env>`, reputation metrics on);
   * sending is granted on that identity, that configuration set and those templates only.
   */
  email: z.strictObject({
    fromAddress: z.email(),
    identity: z.optional(z.union([hostname, z.email()])),
  }),
  /**
   * Runtime feature flags in AWS AppConfig (README, "Feature flags"): how a new version of the flags rolls out, and
   * how long function instances cache them. Unset: all at once, no bake time, 30 s.
   */
  featureFlags: z._default(
    z.strictObject({
      /**
       * The AppConfig deployment strategy. Each step gives the new version to `growthFactor` percent more of the
       * function instances (LINEAR) or to growthFactor × 2^step percent of them (EXPONENTIAL), spread over
       * `durationMinutes`; AppConfig then keeps watching the rollback alarms for `finalBakeMinutes`.
       */
      rollout: z.strictObject({
        growthType: z.enum(['LINEAR', 'EXPONENTIAL']),
        growthFactor: z.number().check(z.gte(1), z.lte(100)),
        durationMinutes: z.int().check(z.gte(0), z.lte(24 * 60)),
        finalBakeMinutes: z.int().check(z.gte(0), z.lte(24 * 60)),
      }),
      /** How long a function instance serves flags from memory before it polls AppConfig again. */
      maxAgeSeconds: z._default(z.int().check(z.gte(15), z.lte(3600)), 30),
    }),
    {
      rollout: { growthType: 'LINEAR', growthFactor: 100, durationMinutes: 0, finalBakeMinutes: 0 },
      maxAgeSeconds: 30,
    },
  ),
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
  /**
   * Daily AWS Backup of both tables (beside their 35-day point-in-time recovery), copied to the first replica
   * region's vault where the environment has replicas. Unset, no backup plan exists.
   */
  backup: z.optional(
    z.strictObject({
      /** Days each daily recovery point (and its copy) is kept. */
      retentionDays: z.int().check(z.gte(1), z.lte(36_500)),
    }),
  ),
  /**
   * Keep the orders table's indexes projecting ALL attributes, as tables created before the narrow projections do
   * (docs/deploy.md, "Index projections"): for an existing deployment, whose indexes CloudFormation cannot re-project
   * in place. New deployments leave it off: every order write then updates small index entries only.
   */
  fullIndexProjection: z._default(z.boolean(), false),
  /** CloudWatch Contributor Insights on the tables and their indexes (hot keys, throttled keys). */
  contributorInsights: z._default(z.boolean(), false),
  /**
   * Who hears about alarms (docs/deploy.md, "On-call delivery"): the page topic carries the SLO, business and
   * data-integrity alarms, the ticket topic the rest and the budget. Required in prod with a `pagingEndpoint`.
   */
  onCall: z.optional(onCall),
  /** The monthly AWS Budget of the environment, in USD; alerts go to the ticket topic. */
  budget: z.strictObject({
    monthlyLimitUsd: z.number().check(z.gt(0)),
    /** Alert when actual spend reaches this share of the limit. */
    actualThresholdPercent: z._default(z.number().check(z.gt(0), z.lte(1000)), 80),
    /** Alert when AWS forecasts the month's spend to reach this share of the limit. */
    forecastedThresholdPercent: z._default(z.number().check(z.gt(0), z.lte(1000)), 100),
  }),
  /**
   * Values of the cost-allocation tags every resource carries (`service`, `owner`, `cost-center`; `environment` is
   * the environment's name). Activate them once in the Billing console so Cost Explorer and budgets can use them.
   */
  costAllocation: z.strictObject({
    service: z._default(tagValue, 'orders'),
    owner: tagValue,
    costCenter: tagValue,
  }),
  /**
   * Prefix of runbook links in alarm descriptions, such as `https://github.com/acme/orders/blob/main/`. Without it,
   * alarms name the runbook by its path in this repository (`docs/runbooks/<name>.md`).
   */
  runbookBaseUrl: z.optional(z.url({ protocol: /^https$/ }).check(z.regex(/\/$/, 'a URL ending in /'))),
  /**
   * How a new version of each function takes over its `live` alias (docs/deploy.md, "Releasing and rolling back"):
   * CodeDeploy shifts traffic by `deploymentConfig` and rolls back when an alarm of the function fires or when the
   * order failure rate reaches `maxOrderFailureRatePercent`.
   */
  release: z._default(
    z.strictObject({
      deploymentConfig: z._default(z.enum(lambdaDeploymentConfigNames), 'Canary10Percent5Minutes'),
      /** FAILED orders per placed order (declines and stock-outs included) that rolls a release back. */
      maxOrderFailureRatePercent: z._default(z.number().check(z.gt(0), z.lte(100)), 10),
    }),
    { deploymentConfig: 'Canary10Percent5Minutes', maxOrderFailureRatePercent: 10 },
  ),
  /**
   * AWS FIS chaos experiments on the saga task functions (docs/deploy.md, "Chaos experiments"). Unset, as by
   * default, creates no experiment and leaves the functions without the FIS extension.
   */
  chaos: z.optional(
    z.strictObject({
      /**
       * The AWS FIS Lambda extension layer for arm64 in the primary region (a layer version ARN), to pin a version.
       * Unset, CloudFormation resolves AWS's public SSM parameter for the current 1.x layer at each deploy.
       */
      fisExtensionLayerArn: z.optional(
        z
          .string()
          .check(z.regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$/, 'a layer version ARN')),
      ),
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

/** The SES identity the sender belongs to: the configured one, else the sender address's domain. */
export function emailIdentity(email: EnvironmentConfig['email']): string {
  return email.identity ?? email.fromAddress.slice(email.fromAddress.lastIndexOf('@') + 1).toLowerCase();
}
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
  if (name === 'prod' && !result.data.onCall?.pagingEndpoint) {
    // A prod whose SLO and data-integrity alarms wake nobody is not ready to take orders.
    throw new Error(
      'invalid configuration for environment "prod": environments.prod.onCall.pagingEndpoint must be set (the ' +
        'HTTPS events URL of the paging service that receives the page topic)',
    );
  }
  const layerRegion = result.data.chaos?.fisExtensionLayerArn?.split(':')[3];
  if (layerRegion !== undefined && layerRegion !== result.data.primaryRegion) {
    // A function can only use a layer of its own region; CloudFormation would fail half way through the deploy.
    throw new Error(
      `invalid configuration for environment "${name}": chaos.fisExtensionLayerArn is in ${layerRegion}, ` +
        `the functions in ${result.data.primaryRegion}`,
    );
  }
  if (result.data.payment.authenticationDeadlineMinutes >= result.data.holdMinutes) {
    // The holds would expire (and the sweeper release the stock) while the customer may still authenticate.
    throw new Error(
      `invalid configuration for environment "${name}": payment.authenticationDeadlineMinutes ` +
        `(${result.data.payment.authenticationDeadlineMinutes}) must be shorter than holdMinutes (${result.data.holdMinutes})`,
    );
  }
  const apiProblem = apiProblemOf(result.data);
  if (apiProblem) throw new Error(`invalid configuration for environment "${name}": ${apiProblem}`);
  const edgeAndBackupProblem = edgeAndBackupProblemOf(result.data);
  if (edgeAndBackupProblem) throw new Error(`invalid configuration for environment "${name}": ${edgeAndBackupProblem}`);
  return result.data;
}

/** Every client app's plan exists, and a per-caller limit applies only to a route that identifies its caller. */
function apiProblemOf(config: EnvironmentConfig): string | undefined {
  for (const [app, { plan }] of Object.entries(config.api.clientApps)) {
    if (!(plan in config.api.usagePlans)) {
      return `api.clientApps.${app}.plan "${plan}" is not a usage plan (${Object.keys(config.api.usagePlans).join(', ')})`;
    }
  }
  for (const id of Object.keys(config.api.perCallerLimits)) {
    if (routes[id as RouteId].access === 'public') {
      return `api.perCallerLimits.${id}: a public route has no caller to key the limit on`;
    }
  }
  return undefined;
}

/** The checks across fields of the custom domain and backup settings; each would otherwise fail only in CloudFormation. */
function edgeAndBackupProblemOf(config: EnvironmentConfig): string | undefined {
  const domain = config.api.customDomain;
  const certificateRegion = domain?.certificateArn.split(':')[3];
  if (certificateRegion !== undefined && certificateRegion !== config.primaryRegion) {
    return (
      `api.customDomain.certificateArn is in ${certificateRegion}; a regional API domain needs a certificate in ` +
      `${config.primaryRegion}`
    );
  }
  if (domain?.mtlsTruststoreVersion !== undefined && domain.mtlsTruststoreUri === undefined) {
    return 'api.customDomain.mtlsTruststoreVersion needs api.customDomain.mtlsTruststoreUri';
  }
  const failoverProblem = domain?.failover && failoverProblemOf(config, domain);
  if (failoverProblem) return failoverProblem;
  if (config.backup && !config.retainData) {
    return 'backup needs retainData: true (recovery points and their keys outlive the stack)';
  }
  return undefined;
}

/** Route 53 failover needs a zone to write the records into, a standby region and a certificate there. */
function failoverProblemOf(
  config: EnvironmentConfig,
  domain: NonNullable<EnvironmentConfig['api']['customDomain']>,
): string | undefined {
  const failover = domain.failover!;
  if (config.replicaRegions.length === 0) return 'api.customDomain.failover needs replicaRegions (a standby region)';
  if (domain.hostedZoneId === undefined) return 'api.customDomain.failover needs api.customDomain.hostedZoneId';
  if (domain.mtlsTruststoreUri !== undefined) {
    // The health checkers hold no client certificate, so they call execute-api, which would then bypass mTLS.
    return 'api.customDomain.failover cannot be combined with mtlsTruststoreUri (health checks call execute-api)';
  }
  for (const region of config.replicaRegions) {
    const arn = failover.replicaCertificateArns[region];
    if (arn === undefined) return `api.customDomain.failover.replicaCertificateArns has no certificate for ${region}`;
    const arnRegion = arn.split(':')[3];
    if (arnRegion !== region) {
      return `api.customDomain.failover.replicaCertificateArns.${region} is a certificate of ${arnRegion}`;
    }
  }
  return undefined;
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
