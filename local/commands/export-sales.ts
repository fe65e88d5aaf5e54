import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dataTargetCliHelp, dataTargetCliOptions, runCommand, UsageError, withDataTarget } from './lib/data-command';
import { exportSales } from './lib/sales-export';

const exportsDirectory = join(resolve(__dirname, '..', '..'), '.local-data', 'exports');

const usage = `npm run export:sales -- [options]
Exports the sales history (units sold and revenue per product and UTC day) as JSON lines, one per product and day:
{"productId","day","units","revenue","currency"} (revenue in minor units).
  --out <file>                  the file to write (default .local-data/exports/sales-<time>.jsonl)
  --from <yyyy-mm-dd>           first day to export (default: all)
  --to <yyyy-mm-dd>             last day to export (default: all)
${dataTargetCliHelp}`;

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `npm run export:sales`: the analysts' export of the offline runtime's sales history (the running npm start's, or
 * the persisted data). In AWS the same data comes from a DynamoDB export to S3 (docs/models.md). Exit status: 0
 * done, 2 could not run.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...dataTargetCliOptions,
      out: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  for (const name of ['from', 'to'] as const) {
    const value = values[name];
    if (value !== undefined && !dayPattern.test(value)) {
      throw new UsageError(`--${name} must be a day as yyyy-mm-dd`);
    }
  }
  const file = resolve(
    values.out ?? join(exportsDirectory, `sales-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`),
  );
  return withDataTarget(values, async (target) => {
    const lines = await exportSales(DynamoDBDocumentClient.from(target.client), target.tableName, file, {
      ...(values.from ? { from: values.from } : {}),
      ...(values.to ? { to: values.to } : {}),
    });
    console.log(`Exported ${lines} product-days of ${target.tableName} (${target.source}) to ${file}`);
    return 0;
  });
}

runCommand('export:sales', usage, main);
