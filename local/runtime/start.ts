import './polyfills';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sandboxTestPaymentMethods } from '../emulators/stripe-sandbox';
import { JavaMissingError } from '../emulators/dynamodb-local';
import { describeRateLimits } from '../emulators/rate-limiter';
import { startLocalRuntime } from './local-runtime';
import { removeRuntimeFile, runtimeFilePath, writeRuntimeFile } from './runtime-file';
import { devUsers } from '../emulators/token-issuer';
import { demoCatalog } from './seed-data';

/**
 * `npm start`: the whole order system on this machine. Options (or environment variables):
 *   --port <n>           gateway port (PORT, default 3000)
 *   --dynamodb-port <n>  DynamoDB Local port (DYNAMODB_PORT, default 8000)
 *   --in-memory          keep data in memory instead of .local-data/ (IN_MEMORY=true)
 *   --data-dir <path>    keep data (DynamoDB Local, the payment sandbox's journal) and the runtime file under <path>
 *                        instead of .local-data/ (DATA_DIR); `npm run reconcile -- --runtime-file <path>/runtime.json`
 *   --no-throttling      serve without usage-plan and method throttles: load and crash tests only (THROTTLING=false)
 * Rate limits are cdk.json's dev values; LOCAL_RATE_LIMIT_SCALE and friends lower them (local/runtime/dev-config.ts).
 */
async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'in-memory': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'no-throttling': { type: 'boolean' },
    },
  });
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const dynamoDbPort = Number(values['dynamodb-port'] ?? process.env.DYNAMODB_PORT ?? 8000);
  const inMemory = values['in-memory'] ?? process.env.IN_MEMORY === 'true';
  const customDataDirectory = values['data-dir'] ?? process.env.DATA_DIR;
  const dataDirectory = customDataDirectory ? resolve(customDataDirectory) : '.local-data';
  // The runtime file follows a custom data directory, so two systems on one machine never overwrite each other's.
  const runtimeFile = customDataDirectory ? join(dataDirectory, 'runtime.json') : runtimeFilePath;
  const throttling = !(values['no-throttling'] ?? process.env.THROTTLING === 'false');
  const startedAt = Date.now();

  const runtime = await startLocalRuntime({
    port,
    dynamoDbPort,
    inMemory,
    // The payment sandbox keeps its journal next to it: <data dir>/stripe-sandbox.jsonl.
    dataDirectory: join(dataDirectory, 'dynamodb'),
    logLevel: process.env.LOG_LEVEL ?? 'WARN',
    schedules: true,
    ...(throttling ? {} : { throttling: false as const }),
    ...(process.env.PAYMENT_API_KEY ? { paymentApiKey: process.env.PAYMENT_API_KEY } : {}),
  });

  // Scripts such as `npm run reconcile` find the running system's endpoints here.
  await writeRuntimeFile(runtime, runtimeFile);
  if (runtime.resumedOrders.length > 0) {
    // One line, so scripts (and the crash-recovery test) can tell which orders a restart picked up again.
    console.log(`resumed ${runtime.resumedOrders.length} order(s) left in flight: ${runtime.resumedOrders.join(' ')}`);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping (waiting for running sagas, then DynamoDB Local)...`);
    await removeRuntimeFile(runtimeFile);
    await runtime.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const api = runtime.apiUrl;
  const product = demoCatalog[0]!.productId;
  console.log(`
Order processing backend, running offline (ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s)

  API gateway       ${api}
  DynamoDB Local    ${runtime.dynamoDbEndpoint}  (listens on all interfaces; data: ${inMemory ? 'in memory' : join(dataDirectory, 'dynamodb')})
  table             ${runtime.tableName}
  saga              statemachines/order-saga.asl.json (aws-local-stepfunctions)
  Stripe sandbox    ${runtime.payments.url}
  event bus         GET ${api}/local/events
  customer emails   ${runtime.mailbox.url}  (SES v2 API; sent mail: GET ${api}/local/mail[?to=<address>])
  user pool         ${runtime.aws.url}  (Cognito API; sign up: POST ${api}/local/signup, codes: GET ${api}/local/mailbox)
  API docs          ${api}/docs  (the contract: GET ${api}/openapi.json)

Dev users (tokens from POST ${api}/local/token):
${devUsers.map((user) => `  ${user.username.padEnd(8)} ${user.groups.join(', ')}`).join('\n')}

Dev partners (tokens from POST ${api}/local/oauth2/token, grant_type=client_credentials; npm run partner -- list):
${runtime.partners
  .map(
    (partner) =>
      `  ${partner.partnerId.padEnd(10)} client id ${partner.clientId}  secret ${partner.clientSecret}  ` +
      `API key ${partner.apiKey}  (${partner.plan}${partner.status === 'active' ? '' : ', DISABLED'})`,
  )
  .join('\n')}

${
  throttling
    ? `${describeRateLimits(runtime.rateLimits, runtime.apiKeys).join('\n')}
  (lower them with LOCAL_RATE_LIMIT_SCALE=0.01 and friends: README, "Rate limits")`
    : 'Rate limits: OFF (--no-throttling)'
}

Payment test PaymentMethods (Stripe's, plus one of the sandbox's own):
${Object.entries(sandboxTestPaymentMethods)
  .map(([paymentMethod, outcome]) => `  ${paymentMethod.padEnd(38)} ${outcome}`)
  .join('\n')}
  3-D Secure challenge: POST ${runtime.payments.url}/v1/test_helpers/payment_intents/<id>/authenticate
    -d client_secret=<the order's paymentAction.clientSecret> -d outcome=complete|fail

Place an order:
  TOKEN=$(curl -s -X POST ${api}/local/token -H 'content-type: application/json' \\
    -d '{"username": "alice", "groups": ["customers"]}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
  KEY=${runtime.apiKeys[0]?.value ?? '<api key>'}
  curl -s -X POST ${api}/orders -H "x-api-key: $KEY" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"items": [{"productId": "${product}", "quantity": 2}], "paymentToken": "pm_card_visa",
         "shippingAddress": {"name": "Alice Example", "line1": "Hauptstrasse 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
         "contactEmail": "alice@example.com"}'
  curl -s ${api}/orders/<orderId> -H "x-api-key: $KEY" -H "authorization: Bearer $TOKEN"

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError) {
    console.error(error.message);
  } else {
    console.error('failed to start:', error);
  }
  process.exit(1);
});
