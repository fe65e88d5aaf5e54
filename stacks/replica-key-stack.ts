import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import { EncryptedBackupVault } from './constructs/table-backups';
import { dataRemovalPolicy } from './retention';

export interface ReplicaKeyStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

/** The alias every region's table key carries, so the primary stack can name a replica's key without a lookup. */
export function tableKeyAliasName(envName: string): string {
  return `alias/orders-${envName}-table`;
}

/** The ARN of the table key alias in another region of the same account (DynamoDB accepts alias ARNs for replicas). */
export function replicaKeyAliasArn(scope: Construct, region: string, envName: string): string {
  return Stack.of(scope).formatArn({
    service: 'kms',
    region,
    resource: 'alias',
    resourceName: tableKeyAliasName(envName).replace(/^alias\//, ''),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * A KMS key in one replica region. KMS keys never leave their region, so a global table encrypted with a customer
 * managed key needs one key per replica region, created before the replica. The data stack depends on this stack
 * and refers to the key through its alias ARN, which avoids cross-region references (custom resources) altogether.
 * The first replica region's stack also holds the vault the daily table backups are copied to, named so that the
 * data stack can name it the same way.
 */
export class ReplicaKeyStack extends Stack {
  readonly key: kms.Key;
  /** Only in the first replica region, where the environment configures `backup`. */
  readonly backupCopyVault?: EncryptedBackupVault;

  constructor(scope: Construct, id: string, props: ReplicaKeyStackProps) {
    super(scope, id, props);
    this.key = new kms.Key(this, 'TableKey', {
      description: `Orders table replica (${props.envName}, ${this.region})`,
      alias: tableKeyAliasName(props.envName),
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: dataRemovalPolicy(props.config),
    });
    if (props.config.backup && props.config.replicaRegions[0] === this.region) {
      this.backupCopyVault = new EncryptedBackupVault(this, 'BackupCopyVault', { envName: props.envName });
    }
  }
}
