import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '../../observability/powertools';

/**
 * One traced document client per process, created at cold start and reused by every invocation. The endpoint comes
 * from the SDK's own configuration (AWS_ENDPOINT_URL_DYNAMODB points it at DynamoDB Local offline).
 */
export const documentClient = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});
