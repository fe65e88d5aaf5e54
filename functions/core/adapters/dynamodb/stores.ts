import { settings } from '../../config/settings';
import { DynamoDbCatalogStore } from './catalog-store';
import { DynamoDbCompensationSchedule } from './compensation-schedule';
import { DynamoDbEmailLedger } from './email-ledger';
import { documentClient } from './document-client';
import { DynamoDbInventoryStore } from './inventory-store';
import { DynamoDbOrderStore } from './order-store';
import { DynamoDbForecastStore } from './forecast-store';
import { DynamoDbSalesHistory } from './sales-history';
import { cachedPartnerLookup, DynamoDbPartnerDirectory } from './partner-directory';
import { DynamoDbWebhookLedger } from './webhook-ledger';
import { DynamoDbWebhookStore } from './webhook-store';

/** Builds the DynamoDB stores from the function's environment, once per cold start. */
export function tableName(): string {
  return settings.table().tableName;
}

export function orderStore(): DynamoDbOrderStore {
  return new DynamoDbOrderStore(documentClient, tableName());
}

export function catalogStore(): DynamoDbCatalogStore {
  return new DynamoDbCatalogStore(documentClient, tableName());
}

export function inventoryStore(orders = orderStore()): DynamoDbInventoryStore {
  return new DynamoDbInventoryStore(documentClient, tableName(), orders, settings.stockHolds().holdMinutes);
}

export function compensationSchedule(): DynamoDbCompensationSchedule {
  return new DynamoDbCompensationSchedule(documentClient, tableName());
}

export function webhookLedger(): DynamoDbWebhookLedger {
  return new DynamoDbWebhookLedger(documentClient, tableName());
}

/** The partner registry lookup of the routes partners may call, cached per function instance. */
export function partnerLookup() {
  return cachedPartnerLookup(new DynamoDbPartnerDirectory(documentClient, tableName()));
}

export function salesHistory(): DynamoDbSalesHistory {
  return new DynamoDbSalesHistory(documentClient, tableName());
}

export function forecastStore(): DynamoDbForecastStore {
  return new DynamoDbForecastStore(documentClient, tableName());
}

/** Partner webhook endpoints and deliveries. */
export function webhookStore(): DynamoDbWebhookStore {
  return new DynamoDbWebhookStore(documentClient, tableName());
}

export function emailLedger(): DynamoDbEmailLedger {
  return new DynamoDbEmailLedger(documentClient, tableName());
}
