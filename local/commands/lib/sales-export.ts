import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { once } from 'node:events';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { scanPages } from '../../../functions/core/adapters/dynamodb/pagination';

/** One line of the export: a product's sales on one UTC day. */
export interface SalesExportLine {
  readonly productId: string;
  readonly day: string;
  readonly units: number;
  /** Minor units of `currency`. */
  readonly revenue: number;
  readonly currency: string;
}

/**
 * Writes every product-day item of the sales history within [from, to] (yyyy-mm-dd, both optional) as JSON lines.
 * A Scan filtered on the item type: an export reads the whole table once, off any request path, as the DynamoDB
 * export to S3 does in AWS (docs/models.md, "Sales history"). Lines come in table order, not sorted.
 */
export async function exportSales(
  client: DynamoDBDocumentClient,
  tableName: string,
  file: string,
  range: { readonly from?: string; readonly to?: string } = {},
): Promise<number> {
  await mkdir(dirname(file), { recursive: true });
  const out = createWriteStream(file, { encoding: 'utf8' });
  let lines = 0;
  try {
    const pages = scanPages(client, {
      TableName: tableName,
      FilterExpression: 'entity = :salesDay AND #day BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#day': 'day' },
      ExpressionAttributeValues: { ':salesDay': 'salesDay', ':from': range.from ?? '0000', ':to': range.to ?? '9999' },
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const line: SalesExportLine = {
          productId: String(item.productId),
          day: String(item.day),
          units: Number(item.units),
          revenue: Number(item.revenue),
          currency: String(item.currency),
        };
        if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
        lines += 1;
      }
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
  return lines;
}
