import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import {
  idempotencyTableDesign,
  ordersTableDesign,
  type GlobalIndexDesign,
} from '../../functions/core/data/table-design';
import { replicaKeyAliasArn, tableKeyAliasName } from '../replica-key-stack';
import { dataRemovalPolicy } from '../retention';

export interface OrderTablesProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });

/**
 * The orders table (a global table where the environment has replica regions), the idempotency table and the key
 * both are encrypted with, built from the table designs the local runtime creates its tables from too. Not a
 * construct of its own: the resources are created directly in `scope`, so their logical ids stay those of the data
 * stack's direct children (the stateful-logical-ids infra test pins them).
 */
export class OrderTables {
  readonly tableKey: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly tableIndexNames: readonly string[];
  readonly idempotencyTable: dynamodb.TableV2;

  constructor(scope: Construct, props: OrderTablesProps) {
    const { config, envName } = props;
    const removalPolicy = dataRemovalPolicy(config);
    this.tableKey = new kms.Key(scope, 'TableKey', {
      description: `Orders table (${envName}, primary region)`,
      alias: tableKeyAliasName(envName),
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy,
    });

    // Which keys are hot or throttled, per table and index: costs per request logged, so only where configured.
    const contributorInsightsSpecification = config.contributorInsights ? { enabled: true } : undefined;
    const design = ordersTableDesign;
    this.tableIndexNames = design.globalIndexes.map((index) => index.indexName);
    const replicaKeyArns = Object.fromEntries(
      config.replicaRegions.map((region) => [region, replicaKeyAliasArn(scope, region, envName)]),
    );
    this.table = new dynamodb.TableV2(scope, 'OrdersTable', {
      tableName: `${design.logicalName.toLowerCase()}-${envName}`,
      partitionKey: stringKey(design.partitionKey),
      sortKey: stringKey(design.sortKey),
      globalSecondaryIndexes: design.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
        ...indexProjection(index, config.fullIndexProjection),
        contributorInsightsSpecification,
      })),
      timeToLiveAttribute: design.timeToLiveAttribute,
      dynamoStream: design.stream === 'NONE' ? undefined : dynamodb.StreamViewType[design.stream],
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.tableKey, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      contributorInsightsSpecification,
      // Replicas inherit deletion protection, PITR and contributor insights from these table options.
      deletionProtection: config.retainData,
      removalPolicy,
      replicas: config.replicaRegions.map((region) => ({ region })),
    });

    // No replicas, on purpose. This table only keeps each mutating request's response for 24 hours so that a retry
    // gets the same answer; writes are served by the primary region alone, so a replica would never be read while
    // the primary is up, would double the write cost of every mutating request, and its "in progress" locks would
    // give no mutual exclusion across regions anyway (replication is last-writer-wins). What a failover loses is
    // the replay of a retry that straddles it: orders stay safe (an order's id derives from its Idempotency-Key and
    // every transition is conditional), while an admin stock adjustment retried across a failover could apply
    // twice; its stock movement is recorded, so the failover runbook checks them.
    this.idempotencyTable = createIdempotencyTable(scope, { config, envName, key: this.tableKey });
  }
}

/**
 * The index's projection from the table design (keys, plus what a query filters on), or ALL for a table created
 * before the design narrowed them: CloudFormation cannot change an existing index's projection in place (it would
 * delete and create both indexes in one update, which it refuses), and the readers work with either (docs/deploy.md,
 * "Index projections").
 */
function indexProjection(
  index: GlobalIndexDesign,
  full: boolean,
): Pick<dynamodb.GlobalSecondaryIndexPropsV2, 'projectionType' | 'nonKeyAttributes'> {
  if (full) return { projectionType: dynamodb.ProjectionType.ALL };
  if (index.projectedAttributes.length === 0) return { projectionType: dynamodb.ProjectionType.KEYS_ONLY };
  return { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projectedAttributes] };
}

export interface IdempotencyTableProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  /** The region's table key: the primary's, or a replica region's (stacks/replica-key-stack.ts). */
  readonly key: kms.IKey;
}

/**
 * The idempotency table of one region (`orders-idempotency-<env>`, the same name in each region). A standby region
 * gets a table of its own (stacks/standby-data-stack.ts) rather than a replica: see the comment in OrderTables.
 */
export function createIdempotencyTable(scope: Construct, props: IdempotencyTableProps): dynamodb.TableV2 {
  const { config, envName } = props;
  const idempotency = idempotencyTableDesign;
  return new dynamodb.TableV2(scope, 'IdempotencyTable', {
    tableName: `orders-${idempotency.logicalName.toLowerCase()}-${envName}`,
    partitionKey: stringKey(idempotency.partitionKey),
    timeToLiveAttribute: idempotency.timeToLiveAttribute,
    billing: dynamodb.Billing.onDemand(),
    encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.key),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    contributorInsightsSpecification: config.contributorInsights ? { enabled: true } : undefined,
    deletionProtection: config.retainData,
    removalPolicy: dataRemovalPolicy(config),
  });
}
