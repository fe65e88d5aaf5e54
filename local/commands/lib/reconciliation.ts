import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbSnapshotReader } from '../../../functions/core/adapters/dynamodb/snapshot-reader';
import {
  reconciliationConfigFromEnv,
  type ReconciliationConfig,
} from '../../../functions/core/config/reconciliation-config';
import { invariantNames } from '../../../functions/core/domain/invariants';
import { reconcile, type ReconcileResult } from '../../../functions/core/use-cases/jobs/reconcile';
import type { RuntimeFile } from '../../runtime/runtime-file';
import type { LocalRuntime } from '../../runtime/local-runtime';

/** The job's settings (RECONCILE_* variables or their defaults), with any of them replaced. */
export type LocalReconcileOptions = Partial<ReconciliationConfig>;

/**
 * Runs the reconciliation job's use case against an in-process runtime: for tests after load and fault runs, once
 * the runtime is drained. No confirming second pass unless asked: a drained system does not move under the reader.
 */
export async function reconcileLocal(
  runtime: LocalRuntime,
  options: LocalReconcileOptions = {},
): Promise<ReconcileResult> {
  const config = { ...reconciliationConfigFromEnv(), confirmDelayMs: undefined, ...options };
  return run(runtime.documentClient, runtime.tableName, runtime.payments, config);
}

/** The same against a running `npm start`, found through its runtime file; confirms as the deployed job does. */
export async function reconcileRunningSystem(
  endpoints: Pick<RuntimeFile, 'dynamoDbEndpoint' | 'tableName' | 'payments'>,
  options: LocalReconcileOptions = {},
): Promise<ReconcileResult> {
  const client = new DynamoDBClient({
    endpoint: endpoints.dynamoDbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const config = { ...reconciliationConfigFromEnv(), ...options };
    return await run(DynamoDBDocumentClient.from(client), endpoints.tableName, endpoints.payments, config);
  } finally {
    client.destroy();
  }
}

async function run(
  documentClient: DynamoDBDocumentClient,
  tableName: string,
  payments: { url: string; apiKey: string },
  config: ReconciliationConfig,
): Promise<ReconcileResult> {
  // Loaded on first use: the adapter's module creates the Powertools logger and metrics, which read POWERTOOLS_* once.
  // Imported before the runtime sets them, every handler in the process would log and emit unconfigured.
  const { StripePaymentProvider } = await import('../../../functions/core/adapters/stripe-payment-provider');
  const provider = new StripePaymentProvider({
    apiUrl: payments.url,
    secretKey: { current: async () => payments.apiKey, reload: async () => payments.apiKey },
    timeoutMs: 5000,
  });
  return reconcile(
    { snapshots: new DynamoDbSnapshotReader(documentClient, tableName, config.scanSegments), payments: provider },
    config,
  );
}

/** A report for people: what was checked, each violation with its ids, the flagged orders, and the verdict. */
export function formatReport(report: ReconcileResult): string {
  const { counts } = report;
  const statuses = Object.entries(counts.ordersByStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const lines = [
    `Reconciliation at ${report.checkedAt} (payments since ${report.paymentsSince})`,
    `  checked   ${counts.products} products, ${counts.movements} stock movements, ${counts.holds} holds, ` +
      `${counts.orders} orders${statuses ? ` (${statuses})` : ''}, ${counts.payments} payments`,
    `  per invariant   ${invariantNames.map((name) => `${name} ${counts.violationsByInvariant[name]}`).join(', ')}`,
    '',
  ];
  if (report.violations.length === 0) {
    lines.push('No violations: every invariant holds.');
  } else {
    lines.push(`${report.violations.length} violation(s):`);
    for (const violation of report.violations) {
      lines.push(
        `  [${violation.invariant}] ${violation.rule}  ${violation.ids.join(' ')}`,
        `      ${violation.detail}`,
      );
    }
  }
  if (report.oversold.length > 0) {
    lines.push('', `${report.counts.oversoldUnits} unit(s) sold twice (held or sold beyond the stock: docs/regions.md):`);
    for (const entry of report.oversold) lines.push(`  ${entry.productId}  ${entry.units}`);
  }
  if (report.unconfirmed.length > 0) {
    lines.push('', `${report.unconfirmed.length} finding(s) gone on the second pass (reads raced writes), ignored.`);
  }
  if (report.attention.length > 0) {
    lines.push('', `${report.attention.length} order(s) flagged for attention (acknowledged, not counted):`);
    for (const entry of report.attention) {
      lines.push(`  ${entry.orderId}  ${entry.status}  ${entry.attention}`);
      for (const finding of entry.findings)
        lines.push(`      [${finding.invariant}] ${finding.rule}: ${finding.detail}`);
    }
  }
  lines.push('', 'What each violation means and how to fix it: docs/runbooks/reconciliation-violations.md');
  return lines.join('\n');
}
