import { Duration, RemovalPolicy, Stack, Tags, Validations, type CfnElement } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as fis from 'aws-cdk-lib/aws-fis';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import type { OrderFunction } from './order-function';

/** AWS's public SSM parameter holding the current 1.x FIS Lambda extension layer for arm64 in each region. */
export const fisExtensionLayerParameter = '/aws/service/fis/lambda-extension/AWS-FIS-extension-arm64/1.x.x';
/** The key prefix under which FIS writes fault configurations and the extension reads them. */
export const fisConfigPrefix = 'FisConfigs';

/** The tag that marks a function as a target of this environment's experiments. */
export const chaosTargetTagKey = 'orders-chaos-target';

export interface ChaosExperimentsProps {
  readonly envName: string;
  readonly settings: NonNullable<EnvironmentConfig['chaos']>;
  /** The functions experiments inject faults into, by a name used in descriptions. */
  readonly targets: ReadonlyMap<string, OrderFunction>;
  /** Alarms that stop a running experiment when they fire (FIS allows at most five per template). */
  readonly stopConditions: readonly cloudwatch.IAlarm[];
  /**
   * The orders global table, where it has replicas: adds the replication-pause experiment. Its template lives in the
   * primary region with the others, because a stop condition must be an alarm of the experiment's own region.
   */
  readonly replicatedTable?: ITableV2;
}

/** One experiment template per offline fault mode (docs/fault-injection.md, "Mapping to AWS FIS"). */
export interface ExperimentDefinition {
  readonly actionId:
    'aws:lambda:invocation-error' | 'aws:lambda:invocation-add-delay' | 'aws:dynamodb:global-table-pause-replication';
  readonly description: string;
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * AWS FIS experiments on the saga task functions, through the AWS FIS Lambda extension: each target function gets
 * the extension layer and reads its fault configuration from a prefix of a bucket that FIS writes while an
 * experiment runs. Three templates mirror the offline fault modes: `error` (the invocation fails before the
 * handler runs), `crash-after` (the handler runs, then the invocation fails: proves the steps idempotent) and
 * `delay`. Where the orders table has replicas, a fourth template pauses its replication (docs/runbooks/chaos-experiments.md).
 * Every template stops as soon as one of the stop-condition alarms fires.
 */
export class ChaosExperiments extends Construct {
  readonly configBucket: s3.Bucket;
  readonly role: iam.Role;
  /** Only with `replicatedTable`: the role of the replication-pause experiment, which touches nothing else. */
  readonly replicationRole?: iam.Role;
  readonly templates: ReadonlyMap<string, fis.CfnExperimentTemplate>;

  constructor(scope: Construct, id: string, props: ChaosExperimentsProps) {
    super(scope, id);
    const { envName, settings } = props;
    if (props.stopConditions.length === 0 || props.stopConditions.length > 5) {
      throw new Error(`an experiment template takes 1 to 5 stop conditions, not ${props.stopConditions.length}`);
    }

    this.configBucket = new s3.Bucket(this, 'ConfigBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // FIS deletes a configuration when its experiment ends; the rule only sweeps what an aborted run left behind.
      lifecycleRules: [{ expiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.configBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only the short-lived fault configurations of running FIS experiments (expired after a day), written ' +
        'by the FIS experiment role and read by the target functions; experiments themselves are recorded by FIS ' +
        'and CloudTrail. Access logs would add a second bucket that records nothing of value.',
    });

    // AWS publishes the extension's current layer per region as a public SSM parameter: resolved at deploy time,
    // so no account-specific ARN has to be copied into the config (it can still be pinned there).
    const layerArn =
      settings.fisExtensionLayerArn ?? ssm.StringParameter.valueForStringParameter(this, fisExtensionLayerParameter);
    const tagValue = `orders-${envName}-saga-task`;
    const functionArns: string[] = [];
    for (const fn of props.targets.values()) {
      fn.allowFaultInjection({
        extensionLayerArn: layerArn,
        configBucket: this.configBucket,
        configPrefix: fisConfigPrefix,
      });
      Tags.of(fn.function).add(chaosTargetTagKey, tagValue);
      functionArns.push(fn.function.functionArn);
    }
    const stack = Stack.of(this);
    const bucketId = stack.getLogicalId(this.configBucket.node.defaultChild as CfnElement);
    const configObjects = `Resource::<${bucketId}.Arn>/${fisConfigPrefix}/*`;
    for (const fn of props.targets.values()) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[${configObjects}]`,
        reason:
          'The FIS Lambda extension reads the fault configuration objects FIS writes under this one prefix; their ' +
          'names are chosen by FIS per experiment, so the grant names the prefix (s3:GetObject only).',
      });
    }

    this.role = new iam.Role(this, 'ExperimentRole', {
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Runs the orders-${envName} FIS experiments on the saga task functions`,
    });
    // What the aws:lambda:invocation-* actions need: write and remove the fault configuration, look up the targets.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject'],
        resources: [`${this.configBucket.bucketArn}/${fisConfigPrefix}/*`],
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:GetFunction'], resources: functionArns }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
    Validations.of(this.role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'tag:GetResources (how FIS resolves the tagged target functions) supports no resource-level permissions; ' +
          'Lambda and S3 actions are granted on the target functions and the configuration prefix.',
      },
      {
        id: `AwsSolutions-IAM5[${configObjects}]`,
        reason:
          'FIS writes and deletes one configuration object per experiment under this prefix, named by FIS; the ' +
          'grant covers that prefix of the experiments bucket only.',
      },
    );

    const duration = `PT${settings.durationMinutes}M`;
    const invocationPercentage = String(settings.invocationPercentage);
    const experiments: Record<string, ExperimentDefinition> = {
      TaskErrors: {
        actionId: 'aws:lambda:invocation-error',
        description: 'invocations fail before the handler runs (offline mode "error")',
        parameters: { duration, invocationPercentage, preventExecution: 'true' },
      },
      TaskCrashAfter: {
        actionId: 'aws:lambda:invocation-error',
        description: 'the handler does its work, then the invocation fails (offline mode "crash-after")',
        parameters: { duration, invocationPercentage, preventExecution: 'false' },
      },
      TaskDelay: {
        actionId: 'aws:lambda:invocation-add-delay',
        description: `${settings.delayMilliseconds} ms before the handler runs (offline mode "delay")`,
        parameters: {
          duration,
          invocationPercentage,
          startupDelayMilliseconds: String(settings.delayMilliseconds),
        },
      },
    };
    const names = [...props.targets.keys()].join(', ');
    const stopConditions = props.stopConditions.map((alarm) => ({
      source: 'aws:cloudwatch:alarm',
      value: alarm.alarmArn,
    }));
    const templates = new Map<string, fis.CfnExperimentTemplate>();
    const addTemplate = (
      name: string,
      experiment: ExperimentDefinition,
      description: string,
      role: iam.IRole,
      target: [string, string, fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty],
    ) => {
      const [targetName, targetKey, targetProperty] = target;
      templates.set(
        name,
        new fis.CfnExperimentTemplate(this, name, {
          description,
          roleArn: role.roleArn,
          targets: { [targetName]: targetProperty },
          actions: {
            [name]: {
              actionId: experiment.actionId,
              description: experiment.description,
              parameters: { ...experiment.parameters },
              targets: { [targetKey]: targetName },
            },
          },
          stopConditions,
          experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
          tags: { Name: `orders-${envName}-${name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}` },
        }),
      );
    };
    const sagaTasks: fis.CfnExperimentTemplate.ExperimentTemplateTargetProperty = {
      resourceType: 'aws:lambda:function',
      resourceTags: { [chaosTargetTagKey]: tagValue },
      selectionMode: 'ALL',
    };
    for (const [name, experiment] of Object.entries(experiments)) {
      addTemplate(
        name,
        experiment,
        `orders-${envName}: ${settings.invocationPercentage}% of saga task invocations for ` +
          `${settings.durationMinutes} min: ${experiment.description}. Targets: ${names}.`,
        this.role,
        ['SagaTasks', 'Functions', sagaTasks],
      );
    }
    if (props.replicatedTable) {
      this.replicationRole = this.createReplicationRole(envName, props.replicatedTable);
      const experiment: ExperimentDefinition = {
        actionId: 'aws:dynamodb:global-table-pause-replication',
        description: 'replication between the orders table and its replicas stops (the replicas fall behind)',
        parameters: { duration },
      };
      addTemplate(
        'TableReplicationPause',
        experiment,
        `orders-${envName}: for ${settings.durationMinutes} min, ${experiment.description}. ` +
          'Writes keep going to the primary region; the replicas catch up when the experiment ends.',
        this.replicationRole,
        [
          'OrdersTable',
          'Tables',
          {
            resourceType: 'aws:dynamodb:global-table',
            resourceArns: [props.replicatedTable.tableArn],
            selectionMode: 'ALL',
          },
        ],
      );
    }
    this.templates = templates;
  }

  /**
   * What aws:dynamodb:global-table-pause-replication needs on the one table: FIS pauses replication by adding a
   * statement to the table's resource policy that denies the replication service-linked role, then removes it.
   */
  private createReplicationRole(envName: string, table: ITableV2): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'ReplicationExperimentRole', {
      assumedBy: new iam.ServicePrincipal('fis.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Runs the orders-${envName} FIS experiment that pauses the orders table's replication`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:DescribeTable',
          'dynamodb:GetResourcePolicy',
          'dynamodb:PutResourcePolicy',
          'dynamodb:DeleteResourcePolicy',
        ],
        resources: [table.tableArn],
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['tag:GetResources'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'tag:GetResources (how FIS resolves its targets) supports no resource-level permissions; the DynamoDB ' +
        'actions are granted on the orders table alone.',
    });
    return role;
  }
}
