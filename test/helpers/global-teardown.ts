import type { DynamoDbLocal } from '../../local/emulators/dynamodb-local';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal?.stop();
}
