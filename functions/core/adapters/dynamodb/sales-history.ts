import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { OrderSale, SalesDay, SalesHistory } from '../../domain/ports';
import { failedConditions } from './order-transition';
import { queryPages } from './pagination';

type LedgerState = 'counted' | 'reversed' | 'cancelled-first';

interface LedgerItem {
  readonly state: LedgerState;
  readonly day?: string;
  readonly lines?: OrderSale['lines'];
}

/**
 * The sales history in the orders table (docs/access-patterns.md, "Sales history"). Counting an order is one
 * transaction: the order's ledger item (written only if absent) and an ADD on each of its product-day items, so a
 * redelivered event fails the ledger's condition and adds nothing. Reversal flips the ledger to `reversed` in the
 * transaction that subtracts the same lines it added.
 */
export class DynamoDbSalesHistory implements SalesHistory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordSale(sale: OrderSale): Promise<boolean> {
    const ledger = {
      ...keys.salesLedger(sale.orderId),
      entity: 'salesLedger',
      orderId: sale.orderId,
      state: 'counted' satisfies LedgerState,
      day: sale.day,
      lines: sale.lines,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: ledger, ConditionExpression: 'attribute_not_exists(PK)' } },
            ...sale.lines.map((line) => this.addition(line, sale.day, 1)),
          ],
        }),
      );
      return true;
    } catch (error) {
      // The ledger item exists: counted before, or its cancellation came first.
      if (failedConditions(error)?.includes(0)) return false;
      throw error;
    }
  }

  async reverseSale(orderId: string): Promise<boolean> {
    // Bounded: at most one race with the confirmation's own first write.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ledger = await this.ledger(orderId);
      if (!ledger) {
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: { ...keys.salesLedger(orderId), entity: 'salesLedger', orderId, state: 'cancelled-first' },
              ConditionExpression: 'attribute_not_exists(PK)',
            }),
          );
          return false;
        } catch (error) {
          if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
          continue;
        }
      }
      if (ledger.state !== 'counted' || !ledger.day || !ledger.lines) return false;
      const day = ledger.day;
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: keys.salesLedger(orderId),
                  UpdateExpression: 'SET #state = :reversed',
                  ConditionExpression: '#state = :counted',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: { ':reversed': 'reversed', ':counted': 'counted' },
                },
              },
              ...ledger.lines.map((line) => this.addition(line, day, -1)),
            ],
          }),
        );
        return true;
      } catch (error) {
        if (failedConditions(error)?.includes(0)) return false;
        throw error;
      }
    }
    return false;
  }

  async daily(productId: string, from: string, to: string): Promise<SalesDay[]> {
    const days: SalesDay[] = [];
    const pages = queryPages(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keys.salesPartition(productId),
        ':from': `${keys.salesDayPrefix}${from}`,
        ':to': `${keys.salesDayPrefix}${to}`,
      },
    });
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        days.push({
          productId,
          day: String(item.day),
          units: Number(item.units),
          revenue: Number(item.revenue),
          currency: String(item.currency),
        });
      }
    }
    return days;
  }

  private async ledger(orderId: string): Promise<LedgerItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.salesLedger(orderId), ConsistentRead: true }),
    );
    return Item as LedgerItem | undefined;
  }

  /** ADD on one product-day item (created by the first sale of the day). */
  private addition(line: OrderSale['lines'][number], day: string, sign: 1 | -1) {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.salesDay(line.productId, day),
        UpdateExpression:
          'SET entity = :entity, productId = :productId, #day = :day, currency = :currency ADD units :units, revenue :revenue',
        ExpressionAttributeNames: { '#day': 'day' },
        ExpressionAttributeValues: {
          ':entity': 'salesDay',
          ':productId': line.productId,
          ':day': day,
          ':currency': line.revenue.currency,
          ':units': sign * line.units,
          ':revenue': sign * line.revenue.amount,
        },
      },
    };
  }
}
