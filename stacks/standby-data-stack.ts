import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import { ordersTableDesign } from '../functions/core/data/table-design';
import type { ClientAppKey } from './constructs/caller-credentials';
import { planId } from './constructs/construct-ids';
import { createIdempotencyTable } from './constructs/order-tables';
import { dataRemovalPolicy } from './retention';

export interface StandbyDataStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  /** This region's table key (the replica-key stack's), which the replica and the idempotency table use. */
  readonly tableKey: kms.IKey;
}

/** The orders table's name, the same in every region (a global table has one name). */
export function ordersTableName(envName: string): string {
  return `${ordersTableDesign.logicalName.toLowerCase()}-${envName}`;
}

/**
 * What a standby region's service stack needs besides the table replica itself, which the data stack's global table
 * creates: the region's own idempotency table (deliberately not a replica: stacks/constructs/order-tables.ts), a
 * handle on the replica with its stream (read at deploy time: a replica's stream ARN is known only in its region),
 * and the client apps' API keys with the primary's values, so that the apps keep their keys across a failover.
 */
export class StandbyDataStack extends Stack {
  readonly idempotencyTable: dynamodb.TableV2;
  /** The orders table's replica in this region, with its stream. */
  readonly table: dynamodb.ITableV2;
  readonly apiKeys: ReadonlyMap<string, ClientAppKey>;
  /** The replicas of the data stack's payment secrets in this region, by the same names. */
  readonly paymentApiKey: secretsmanager.ISecret;
  readonly paymentWebhookSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: StandbyDataStackProps) {
    super(scope, id, props);
    const { config, envName } = props;
    this.idempotencyTable = createIdempotencyTable(this, { config, envName, key: props.tableKey });

    const tableName = ordersTableName(envName);
    const replicaArn = this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName });
    // DescribeTable in this region: the replica's LatestStreamArn (its label is a timestamp chosen when the replica
    // was created, so it cannot be written down at synth time). A new stream (the replica recreated) is a new
    // physical id, which replaces the outbox relay's mapping on the next deploy.
    const stream = new cr.AwsCustomResource(this, 'ReplicaStream', {
      onUpdate: {
        service: 'DynamoDB',
        action: 'describeTable',
        parameters: { TableName: tableName },
        physicalResourceId: cr.PhysicalResourceId.fromResponse('Table.LatestStreamArn'),
        outputPaths: ['Table.LatestStreamArn'],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [replicaArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    this.table = dynamodb.TableV2.fromTableAttributes(this, 'OrdersTableReplica', {
      tableArn: replicaArn,
      tableStreamArn: stream.getResponseField('Table.LatestStreamArn'),
      encryptionKey: props.tableKey,
      grantIndexPermissions: true,
    });

    this.apiKeys = this.createApiKeys(envName, config);
    // Secrets Manager replicates the data stack's secrets here (their `replicaRegions`), value changes included.
    this.paymentApiKey = secretsmanager.Secret.fromSecretNameV2(this, 'PaymentApiKey', config.payment.apiKeySecretName);
    this.paymentWebhookSecret = secretsmanager.Secret.fromSecretNameV2(
      this,
      'PaymentWebhookSecret',
      config.payment.webhookSecretName,
    );
    this.acknowledgeCustomResourceProvider();

    new CfnOutput(this, 'IdempotencyTableName', { value: this.idempotencyTable.tableName });
    new CfnOutput(this, 'ReplicaStreamArn', { value: this.table.tableStreamArn! });
  }

  /**
   * One API key per client app, with the value of the primary region's key of that app (read from API Gateway in the
   * primary region at deploy time, by the key's name), so that a storefront or app build keeps working after a
   * failover. The value never appears in a template (a GetAtt of the lookup) nor in the lookup's logs.
   */
  private createApiKeys(envName: string, config: EnvironmentConfig): Map<string, ClientAppKey> {
    // GetApiKeys is a GET on the apikeys collection of the primary region's API Gateway.
    const primaryKeys = `arn:${this.partition}:apigateway:${config.primaryRegion}::/apikeys`;
    return new Map(
      Object.entries(config.api.clientApps).map(([appName, app]) => {
        const primaryName = `orders-${envName}-${appName}`;
        const lookup = new cr.AwsCustomResource(this, `PrimaryApiKey${planId(appName)}`, {
          onUpdate: {
            service: 'APIGateway',
            action: 'getApiKeys',
            region: config.primaryRegion,
            parameters: { nameQuery: primaryName, includeValues: true },
            physicalResourceId: cr.PhysicalResourceId.of(primaryName),
            outputPaths: ['items.0.value'],
            logging: cr.Logging.withDataHidden(),
          },
          policy: cr.AwsCustomResourcePolicy.fromStatements([
            new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: [primaryKeys] }),
          ]),
          installLatestAwsSdk: false,
        });
        const key = new apigateway.ApiKey(this, `ApiKey${planId(appName)}`, {
          apiKeyName: `orders-${envName}-${this.region}-${appName}`,
          description:
            `Orders API (${envName}, standby ${this.region}), ${appName}: ${app.description} (usage plan ` +
            `${app.plan}); the value of ${primaryName} in ${config.primaryRegion}`,
          enabled: true,
          value: lookup.getResponseField('items.0.value'),
        });
        key.applyRemovalPolicy(dataRemovalPolicy(config));
        return [appName, { key, plan: app.plan }] as const;
      }),
    );
  }

  /** The one Lambda function behind every AwsCustomResource of the stack. */
  private acknowledgeCustomResourceProvider(): void {
    const singleton = this.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (!singleton) return;
    Validations.of(singleton).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's AwsCustomResource provider: its role's only managed policy is the basic execution role (its logs); " +
        'the DescribeTable and GetApiKeys calls are granted on the replica and the API keys alone.',
    });
  }
}
