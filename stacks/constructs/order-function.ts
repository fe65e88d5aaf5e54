import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { envNames, type SettingName, type SettingsEnvironment } from '../../functions/core/config/settings';
import { ordersNamespace } from '../../functions/core/observability/metric-names';
import { dataRemovalPolicy, logRetention } from '../retention';
import type { FeatureFlags } from './feature-flags';
import { deferredPackageNames } from './deferred-packages';
import { createRelease, type GradualReleaseProps } from './function-release';
import { grantIdempotencyItems, grantTableItems, grantTableScan, type TableAccess } from './table-grants';

/** The project root: handler modules in the route table and saga definition are relative to it. */
export const projectRoot = path.resolve(__dirname, '..', '..');

export interface PaymentProviderSettings {
  readonly apiUrl: string;
  readonly timeoutMs: number;
  /** How long a customer has to finish 3-D Secure (AuthorizePayment writes the deadline on the order). */
  readonly authenticationDeadlineMinutes: number;
  /** How long an authorized order may wait for its risk review (AuthorizePayment writes the deadline on the order). */
  readonly reviewDeadlineHours: number;
}

export interface RiskSettings {
  /** Largest order total per currency in minor units (`*`: any other currency). */
  readonly maxOrderAmount: Readonly<Record<string, number>>;
  readonly maxOrdersPerHour: { readonly customer: number; readonly partner: number };
  readonly thresholds?: { readonly review?: number; readonly reject?: number };
}

export interface InventorySettings {
  readonly leadTimeDays: number;
  readonly serviceLevel: number;
}

/** Optional overrides of the reconciliation job's settings; each unset one keeps the job's default. */
export interface ReconciliationSettings {
  readonly graceSeconds?: number;
  readonly paymentLookbackHours?: number;
  readonly scanSegments?: number;
  readonly confirmDelayMs?: number;
}

/** Where the AWS FIS Lambda extension finds the fault configurations that FIS experiments write. */
export interface FaultInjectionSettings {
  /** The AWS FIS Lambda extension layer (a layer version ARN in the function's region, for arm64). */
  readonly extensionLayerArn: string;
  readonly configBucket: IBucket;
  /** Key prefix inside the bucket, without slashes at either end. */
  readonly configPrefix: string;
}

/** What the FIS extension's wrapper and poller need (docs/fault-injection.md, "Mapping to AWS FIS"). */
export const fisExtensionEnvNames = {
  execWrapper: 'AWS_LAMBDA_EXEC_WRAPPER',
  configurationLocation: 'AWS_FIS_CONFIGURATION_LOCATION',
  pollMaxWaitMilliseconds: 'AWS_FIS_POLL_MAX_WAIT_MILLISECONDS',
} as const;

/** The esbuild options every function is bundled with; CDK passes them as flags (`deployedBundling` below). */
const esbuildSettings = {
  platform: 'node',
  target: 'node22',
  // ESM because middy 6 ships only ESM and ESM lets esbuild tree-shake Powertools and zod/mini.
  format: 'esm',
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies bundled into an ESM file still call `require` for Node built-ins; the banner provides it.
  banner: {
    js: "import { createRequire as topLevelCreateRequire } from 'module'; const require = topLevelCreateRequire(import.meta.url);",
  },
  minify: true,
  // The saga's Retry and Catch rules match the Lambda error type, which is the error class's name
  // (`new.target.name` in DomainError): without keepNames, minifying renames every class and no rule matches.
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
} as const satisfies BuildOptions;

/**
 * The esbuild options of a function's bundle and of the deferred packages beside it. Exported so that the cold-start
 * benchmark and the bundle tests build exactly what is deployed.
 */
export const deployedEsbuildOptions: BuildOptions = {
  ...esbuildSettings,
  bundle: true,
  // Nothing else is external: the AWS SDK v3 clients are bundled at the versions in package-lock.json, so what runs
  // in Lambda is what the tests ran against (the runtime's preinstalled SDK changes without notice), and each bundle
  // carries only the clients its handler imports. The deferred packages are shipped beside the bundle instead.
  external: deferredPackageNames,
  logLevel: 'silent',
};

const shellQuoted = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** How every function is bundled (NodejsFunction `bundling`): `deployedEsbuildOptions`, as CDK's flags. */
export const deployedBundling: BundlingOptions = {
  // Local esbuild only: the machines that synth have no Docker engine.
  forceDockerBundling: false,
  minify: esbuildSettings.minify,
  keepNames: esbuildSettings.keepNames,
  sourceMap: esbuildSettings.sourcemap,
  sourcesContent: esbuildSettings.sourcesContent,
  target: esbuildSettings.target,
  format: OutputFormat.ESM,
  mainFields: [...esbuildSettings.mainFields],
  banner: esbuildSettings.banner.js,
  externalModules: deferredPackageNames,
  // The metafile tells the next step which deferred packages the bundle imports; that step removes it.
  metafile: true,
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => [
      [
        'node --import tsx',
        shellQuoted(path.join(inputDir, 'stacks', 'constructs', 'bundle-deferred-packages.ts')),
        shellQuoted(outputDir),
        shellQuoted(JSON.stringify(deployedEsbuildOptions)),
      ].join(' '),
    ],
  },
};

export interface OrderFunctionProps {
  /** Handler module relative to the project root; it exports `handler`. */
  readonly handlerModule: string;
  readonly config: EnvironmentConfig;
  /** Powertools service name: the `service` key in logs and the metrics dimension. */
  readonly serviceName: string;
  readonly description?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Concurrent executions reserved for (and capping) the function; 1 makes invocations run one at a time. */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The one Lambda shape of the project: Node.js 22 on arm64, X-Ray active tracing, an explicit log group with the
 * environment's retention, minified ESM bundles with source maps (read only when a trace is printed), and a `live` alias that callers (API Gateway,
 * Step Functions, schedules) invoke so a deployment can shift traffic between versions (releaseGradually puts the
 * alias under CodeDeploy, with the alarms that roll a release back).
 *
 * The function gets its own role with no AWS managed policy: log writes are granted on its log group only. Anything
 * else comes through the binding methods (useTable, scanTable, useIdempotencyTable, startWorkflow, publishEvents,
 * callPaymentProvider, sendToAttentionQueue, holdStockFor, ...), each of which sets the environment variable the
 * handler reads and grants exactly the actions behind it, nothing more.
 */
export class OrderFunction extends Construct {
  readonly function: NodejsFunction;
  readonly alias: lambda.Alias;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** The handler's module, relative to the project root. */
  readonly handlerModule: string;
  private release?: codedeploy.LambdaDeploymentGroup;

  constructor(scope: Construct, id: string, props: OrderFunctionProps) {
    super(scope, id);
    const { config } = props;
    this.memorySize = props.memorySize ?? 512;
    this.timeout = props.timeout ?? Duration.seconds(10);
    this.handlerModule = props.handlerModule;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.handlerModule}`,
    });
    // Replaces AWSLambdaBasicExecutionRole, which would allow writing to every log group in the account.
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(projectRoot, props.handlerModule),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: path.join(projectRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: this.memorySize,
      timeout: this.timeout,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      ...lambdaLogging(config),
      role: this.role,
      description: props.description ?? props.handlerModule,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: ordersNamespace,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        // No NODE_OPTIONS=--enable-source-maps: parsing the source map at load added 15–35 % to every cold start
        // (npm run bench, part 1). Traces are still mapped to the TypeScript sources, lazily, by
        // functions/core/observability/stack-traces.ts, from the index.mjs.map the bundle ships with.
      } satisfies SettingsEnvironment,
      bundling: deployedBundling,
    });

    if (config.replicaRegions.length > 0) {
      // Write fencing (docs/regions.md): with replicas, every write checks that this region is the active one.
      this.function.addEnvironment(envNames.regions.primaryRegion, config.primaryRegion);
      this.function.addEnvironment(envNames.regions.standbyRegions, config.replicaRegions.join(','));
    }
    this.alias = new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.function.currentVersion });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level ' +
          'permissions; the infra tests assert that no other action is granted on "*".',
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          'The project fixes Lambda on Node.js 22, the version its code, bundles and tests target; moving to a newer ' +
          'runtime is a deliberate upgrade, not something to pick up at synth time.',
      },
    );
  }

  /** The CodeDeploy deployment group that releases this function, once releaseGradually has been called. */
  get deploymentGroup(): codedeploy.LambdaDeploymentGroup | undefined {
    return this.release;
  }

  /**
   * Puts the `live` alias under CodeDeploy (function-release.ts), with the alarms that roll a release back. Callers
   * must invoke the alias (never the function itself, which is $LATEST) for a canary to shift anything.
   */
  releaseGradually(props: GradualReleaseProps): codedeploy.LambdaDeploymentGroup {
    if (this.release) throw new Error(`${this.node.path} is already released through CodeDeploy`);
    this.release = createRelease(this, props);
    return this.release;
  }

  /** Sets TABLE_NAME and grants item reads (and writes for `readWrite`) on the table, its indexes and its key. */
  useTable(table: ITableV2, access: TableAccess, indexNames: readonly string[]): this {
    this.function.addEnvironment(envNames.table.tableName, table.tableName);
    grantTableItems(this.role, table, access, indexNames);
    return this;
  }

  /**
   * Sets TABLE_NAME and grants dynamodb:Scan on the table (not its indexes) with reads of its key: the whole-table
   * read of the reconciliation job, and nothing else. It grants no item action, so a scanning function cannot write.
   */
  scanTable(table: ITableV2): this {
    this.function.addEnvironment(envNames.table.tableName, table.tableName);
    grantTableScan(this.role, table);
    return this;
  }

  /**
   * Sets ATTENTION_QUEUE_URL and grants sqs:SendMessage on that queue only (with its key's data-key actions if it
   * has a customer managed key). Receiving and deleting stay with operators.
   */
  sendToAttentionQueue(queue: IQueue): this {
    return this.sendTo(queue, envNames.attentionQueue.queueUrl);
  }

  /**
   * WEBHOOK_QUEUE_URL and sqs:SendMessage on the webhook delivery queue: the fan-out, manual retries and replays
   * queue deliveries; the sender also chains its delays through it.
   */
  queueWebhookDeliveries(queue: IQueue): this {
    return this.sendTo(queue, envNames.webhookQueue.queueUrl);
  }

  /** WEBHOOK_DEAD_LETTER_QUEUE_URL and sqs:SendMessage on it: the sender parks deliveries whose retries are spent. */
  deadLetterWebhookDeliveries(queue: IQueue): this {
    return this.sendTo(queue, envNames.webhookDeadLetters.queueUrl);
  }

  /** Sets the queue's URL variable and grants sqs:SendMessage on that queue only (with its key's, if it has one). */
  private sendTo(queue: IQueue, urlEnvName: SettingName): this {
    this.function.addEnvironment(urlEnvName, queue.queueUrl);
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    if (queue.encryptionMasterKey) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queue.encryptionMasterKey.keyArn],
        }),
      );
    }
    return this;
  }

  /** Sets RISK_MAX_ORDER_AMOUNT (JSON) and the orders per hour of shoppers and partners: the risk check's limits. */
  applyRiskLimits(limits: RiskSettings): this {
    this.function.addEnvironment(envNames.risk.maxOrderAmount, JSON.stringify(limits.maxOrderAmount));
    this.function.addEnvironment(envNames.risk.maxOrdersPerHour, String(limits.maxOrdersPerHour.customer));
    this.function.addEnvironment(envNames.risk.maxPartnerOrdersPerHour, String(limits.maxOrdersPerHour.partner));
    const { review, reject } = limits.thresholds ?? {};
    if (review !== undefined) this.function.addEnvironment(envNames.risk.reviewThreshold, String(review));
    if (reject !== undefined) this.function.addEnvironment(envNames.risk.rejectThreshold, String(reject));
    return this;
  }

  /** Sets the lead time and service level the forecast job computes reorder points with. */
  applyInventoryPolicy(policy: InventorySettings): this {
    this.function.addEnvironment(envNames.inventory.leadTimeDays, String(policy.leadTimeDays));
    this.function.addEnvironment(
      envNames.inventory.serviceLevelPerMille,
      String(Math.round(policy.serviceLevel * 1000)),
    );
    return this;
  }

  /** Sets RECOVERY_AFTER_SECONDS: how old an in-flight order must be before its saga is restarted. */
  recoverOrdersAfter(seconds: number): this {
    this.function.addEnvironment(envNames.recovery.afterSeconds, String(seconds));
    return this;
  }

  /** Sets the RECONCILE_* variables that the environment overrides; the job keeps its defaults for the others. */
  reconcileWith(settings: ReconciliationSettings): this {
    for (const [key, name] of Object.entries(envNames.reconciliation) as [
      keyof ReconciliationSettings,
      SettingName,
    ][]) {
      const value = settings[key];
      if (value !== undefined) this.function.addEnvironment(name, String(value));
    }
    return this;
  }

  /**
   * Attaches the AWS FIS Lambda extension, so FIS experiments (aws:lambda:invocation-error, -add-delay) can inject
   * faults into this function's invocations: the layer, the wrapper that starts it, where it polls for fault
   * configurations, and read access to that prefix only. Without a running experiment invocations are untouched.
   */
  allowFaultInjection(settings: FaultInjectionSettings): this {
    const { configBucket, configPrefix } = settings;
    this.function.addLayers(
      lambda.LayerVersion.fromLayerVersionArn(this, 'FisExtensionLayer', settings.extensionLayerArn),
    );
    this.function.addEnvironment(fisExtensionEnvNames.execWrapper, '/opt/aws-fis/bootstrap');
    this.function.addEnvironment(
      fisExtensionEnvNames.configurationLocation,
      `${configBucket.bucketArn}/${configPrefix}/`,
    );
    // FIS recommends setting it for invocation-error with preventExecution (docs/fault-injection.md): how long the
    // extension may wait for a fault-configuration poll before it lets an invocation through.
    this.function.addEnvironment(fisExtensionEnvNames.pollMaxWaitMilliseconds, '2000');
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [configBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${configPrefix}/*`] } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`${configBucket.bucketArn}/${configPrefix}/*`],
      }),
    );
    return this;
  }

  /**
   * Sets the FEATURE_FLAGS_* variables (the AppConfig application, environment and profile by name, and how long to
   * cache the flags) and grants the two AppConfig Data actions on that one profile in that one environment.
   *
   * The grant is a policy of its own, not a statement in the role's default policy: the function depends on its
   * default policy, and the AppConfig environment depends, through its rollback alarms, on the state machine that
   * invokes this function, so a grant there would close a dependency cycle. Until the policy exists (on the first
   * deploy only), reading the flags fails and they keep their safe defaults. Names rather than ids in the variables
   * keep the function itself independent of the AppConfig resources for the same reason.
   */
  useFeatureFlags(flags: FeatureFlags): this {
    this.function.addEnvironment(envNames.featureFlags.application, flags.applicationName);
    this.function.addEnvironment(envNames.featureFlags.environment, flags.environmentName);
    this.function.addEnvironment(envNames.featureFlags.profile, flags.profileName);
    this.function.addEnvironment(envNames.featureFlags.maxAgeSeconds, String(flags.maxAgeSeconds));
    new iam.Policy(this, 'FeatureFlagsPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration'],
          resources: [flags.configurationArn],
        }),
      ],
    });
    return this;
  }

  /** Sets HOLD_MINUTES: how long reserved stock stays held before the sweeper may release it. */
  holdStockFor(minutes: number): this {
    this.function.addEnvironment(envNames.stockHolds.holdMinutes, String(minutes));
    return this;
  }

  /** The browser origins whose requests the function's answers allow (CORS_ALLOWED_ORIGINS, API functions). */
  allowBrowserOrigins(origins: readonly string[]): this {
    if (origins.length > 0) this.function.addEnvironment(envNames.cors.allowedOrigins, origins.join(','));
    return this;
  }

  /**
   * Sets the idempotency table's name (IDEMPOTENCY_TABLE_NAME) and grants the four item actions Powertools'
   * DynamoDB persistence layer issues (Get, conditional Put, Update, Delete) on that table and its key.
   */
  useIdempotencyTable(table: ITableV2): this {
    this.function.addEnvironment(envNames.idempotency.tableName, table.tableName);
    grantIdempotencyItems(this.role, table);
    return this;
  }

  /**
   * Sets the variable named `arnEnvName` to the state machine's ARN and grants states:StartExecution on that state
   * machine only.
   */
  startWorkflow(stateMachine: IStateMachine, arnEnvName: SettingName): this {
    this.function.addEnvironment(arnEnvName, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(this.role);
    return this;
  }

  /**
   * Sets the variable named `arnEnvName` to the state machine's ARN and grants states:DescribeStateMachine on that
   * state machine only: enough to check that it exists and is active (readiness), not to start or read executions.
   */
  describeWorkflow(stateMachine: IStateMachine, arnEnvName: SettingName): this {
    this.function.addEnvironment(arnEnvName, stateMachine.stateMachineArn);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeStateMachine'], resources: [stateMachine.stateMachineArn] }),
    );
    return this;
  }

  /** Sets EVENT_BUS_NAME and grants events:PutEvents on that bus only. */
  publishEvents(bus: IEventBus): this {
    this.function.addEnvironment(envNames.events.eventBusName, bus.eventBusName);
    bus.grantPutEventsTo(this.role);
    return this;
  }

  /** Sets the provider's URL, timeout and API key secret, and grants reading that one secret. */
  callPaymentProvider(settings: PaymentProviderSettings, apiKeySecret: ISecret): this {
    this.function.addEnvironment(envNames.payment.apiUrl, settings.apiUrl);
    this.function.addEnvironment(envNames.payment.timeoutMs, String(settings.timeoutMs));
    this.function.addEnvironment(
      envNames.paymentAuthentication.deadlineSeconds,
      String(settings.authenticationDeadlineMinutes * 60),
    );
    this.function.addEnvironment(envNames.risk.reviewDeadlineSeconds, String(settings.reviewDeadlineHours * 3600));
    this.function.addEnvironment(envNames.payment.apiKeySecretArn, secretId(apiKeySecret));
    apiKeySecret.grantRead(this.role);
    return this;
  }

  /** PAYMENT_WEBHOOK_SECRET_ARN and read access to it: the Stripe webhook's signature check. */
  verifyPaymentWebhooks(signingSecret: ISecret): this {
    this.function.addEnvironment(envNames.paymentWebhooks.signingSecretArn, secretId(signingSecret));
    signingSecret.grantRead(this.role);
    return this;
  }
}

/**
 * What a function passes to GetSecretValue: the full ARN of a secret of this stack's own making, otherwise (a
 * standby region's replica, known by name only) the name. A partial ARN is no option: Secrets Manager may take a
 * name ending in a hyphen and six characters (`...-webhook-secret`) for one with the random suffix.
 */
function secretId(secret: ISecret): string {
  return secret.secretFullArn ?? secret.secretName;
}

/**
 * Lambda's log lines in the JSON format, at the functions' own level (POWERTOOLS_LOG_LEVEL), so Lambda drops nothing
 * the logger writes. Lambda's own START, END and REPORT lines (about 430 bytes per invocation, 3 KB per order) are
 * kept where the environment asks for them (`lambdaReportLines`: staging, where releases are watched and memory
 * sizes checked against Max Memory Used, and any DEBUG environment) and left out elsewhere: duration, errors and
 * throttles reach CloudWatch as metrics anyway.
 */
export function lambdaLogging(
  config: Pick<EnvironmentConfig, 'logLevel' | 'lambdaReportLines'>,
): Pick<lambda.FunctionProps, 'loggingFormat' | 'applicationLogLevelV2' | 'systemLogLevelV2'> {
  const reportLines = config.lambdaReportLines ?? config.logLevel === 'DEBUG';
  return {
    loggingFormat: lambda.LoggingFormat.JSON,
    applicationLogLevelV2: lambda.ApplicationLogLevel[config.logLevel],
    systemLogLevelV2: reportLines ? lambda.SystemLogLevel.INFO : lambda.SystemLogLevel.WARN,
  };
}
