import { envNames, optionalIntEnv, requireEnv } from '../../config/runtime-config';
import { DynamoDbCatalogStore } from './catalog-store';
import { DynamoDbCompensationSchedule } from './compensation-schedule';
import { documentClient } from './document-client';
import { DynamoDbInventoryStore } from './inventory-store';
import { DynamoDbOrderStore } from './order-store';

/** Builds the DynamoDB stores from the function's environment, once per cold start. */
export function tableName(): string {
  return requireEnv(envNames.tableName);
}

export function orderStore(): DynamoDbOrderStore {
  return new DynamoDbOrderStore(documentClient, tableName());
}

export function catalogStore(): DynamoDbCatalogStore {
  return new DynamoDbCatalogStore(documentClient, tableName());
}

export function inventoryStore(orders = orderStore()): DynamoDbInventoryStore {
  return new DynamoDbInventoryStore(documentClient, tableName(), orders, optionalIntEnv(envNames.holdMinutes, 15));
}

export function compensationSchedule(): DynamoDbCompensationSchedule {
  return new DynamoDbCompensationSchedule(documentClient, tableName());
}
