import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The vault's name in every region: the primary region's holds the backups, the first replica region's the copies. */
export function backupVaultName(envName: string): string {
  return `orders-${envName}`;
}

/** The ARN of the environment's vault in another region of the same account (the copy destination). */
export function backupVaultArn(scope: Construct, region: string, envName: string): string {
  return Stack.of(scope).formatArn({
    service: 'backup',
    region,
    resource: 'backup-vault',
    resourceName: backupVaultName(envName),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

export interface EncryptedBackupVaultProps {
  readonly envName: string;
}

/**
 * A backup vault encrypted with its own rotating customer managed key, in the stack's region. Backups only exist
 * where the environment retains data (the config refuses `backup` otherwise), so vault and key are always retained:
 * CloudFormation cannot delete a vault that still holds recovery points, and a recovery point outliving its key
 * would be unreadable. Nobody may delete a recovery point or shorten its lifecycle; recovery points expire by the
 * plan's retention only.
 */
export class EncryptedBackupVault extends Construct {
  readonly key: kms.Key;
  readonly vault: backup.BackupVault;

  constructor(scope: Construct, id: string, props: EncryptedBackupVaultProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.key = new kms.Key(this, 'Key', {
      description: `Orders backup vault (${props.envName}, ${region})`,
      alias: `alias/orders-${props.envName}-backup`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: backupVaultName(props.envName),
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
      blockRecoveryPointDeletion: true,
    });
  }
}

export interface TableBackupsProps {
  readonly envName: string;
  readonly tables: readonly ITableV2[];
  /** Days each daily recovery point, and its copy, is kept. */
  readonly retentionDays: number;
  /** Where each recovery point is copied (the first replica region's vault); no copy without it. */
  readonly copyVaultArn?: string;
}

/**
 * A daily AWS Backup plan of the tables, beside their point-in-time recovery (35 days, in every replica): recovery
 * points kept longer than PITR can reach, in a vault of their own key, and copied to another region so that losing
 * the primary region or its key does not lose them. Cross-region copies of DynamoDB backups need AWS Backup's
 * advanced features for DynamoDB turned on in the account (docs/deploy.md, "Backups").
 */
export class TableBackups extends Construct {
  readonly vault: EncryptedBackupVault;
  readonly plan: backup.BackupPlan;
  readonly selection: backup.BackupSelection;

  constructor(scope: Construct, id: string, props: TableBackupsProps) {
    super(scope, id);
    const retention = Duration.days(props.retentionDays);
    this.vault = new EncryptedBackupVault(this, 'Vault', { envName: props.envName });
    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `orders-${props.envName}-tables`,
      backupVault: this.vault.vault,
    });
    const copyVault = props.copyVaultArn
      ? backup.BackupVault.fromBackupVaultArn(this, 'CopyVault', props.copyVaultArn)
      : undefined;
    this.plan.addRule(
      new backup.BackupPlanRule({
        ruleName: 'daily',
        // 05:00 UTC: the quietest hour of the order traffic in the primary region's day.
        scheduleExpression: events.Schedule.cron({ minute: '0', hour: '5' }),
        startWindow: Duration.hours(1),
        completionWindow: Duration.hours(4),
        deleteAfter: retention,
        ...(copyVault ? { copyActions: [{ destinationBackupVault: copyVault, deleteAfter: retention }] } : {}),
      }),
    );
    this.selection = this.plan.addSelection('Tables', {
      backupSelectionName: `orders-${props.envName}-tables`,
      resources: props.tables.map((table) => backup.BackupResource.fromArn(table.tableArn)),
      // Restores are run by an operator's role (runbook), never by the role that takes the backups.
      allowRestores: false,
    });
    Validations.of(this.selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'The role AWS Backup assumes to back up the two tables. The AWS managed policy is the one AWS documents for ' +
        'it and follows what each backup feature needs (DynamoDB advanced backups, cross-region copies, KMS via the ' +
        'service); the selection limits what the plan backs up to the two tables.',
    });
  }
}
