import '../../local/runtime/polyfills';
import { startDynamoDbLocal } from '../../local/emulators/dynamodb-local';

/** One in-memory DynamoDB Local for the whole integration run; each test file uses tables of its own. */
export default async function globalSetup(): Promise<void> {
  const dynamoDb = await startDynamoDbLocal({ inMemory: true, port: 0 });
  (globalThis as { __dynamoDbLocal?: typeof dynamoDb }).__dynamoDbLocal = dynamoDb;
  process.env.TEST_DYNAMODB_ENDPOINT = dynamoDb.endpoint;
}
