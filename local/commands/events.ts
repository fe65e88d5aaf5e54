import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgePublisher } from '../../functions/core/adapters/event-publisher';
import { readRuntimeFile } from '../runtime/runtime-file';
import { runCommand, UsageError } from './lib/data-command';
import { eventsInRange, republishEvents } from './lib/republish-events';

const usage = `npm run events -- republish --from <iso> --to <iso> [options]
Publishes again, oldest first, every event the orders table's items carry (the outbox) that occurred in the range:
after the outbox relay gave up on a batch (docs/runbooks/outbox-relay.md). Consumers drop the ones they already have
by id. Without --env, works on the running npm start.
  --from <iso>, --to <iso>      the range of the events' occurredAt (inclusive)
  --type <type>                 only events of this type (for example order.confirmed)
  --dry-run                     count and list them, publish nothing
  --region <region>             a deployed environment's region (AWS credentials from the usual SDK chain), with:
  --table <name>                the data stack's TableName output
  --bus <name>                  the service stack's orders bus (orders-<env>)
  --runtime-file <path>         another running system's runtime file`;

const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** `npm run events`: republishes the outbox's events of a time range, in AWS or offline. Exit status 0, or 2. */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      type: { type: 'string' },
      'dry-run': { type: 'boolean' },
      region: { type: 'string' },
      table: { type: 'string' },
      bus: { type: 'string' },
      'runtime-file': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (positionals[0] !== 'republish' || positionals.length > 1) throw new UsageError('the command is: republish');
  for (const name of ['from', 'to'] as const) {
    if (!values[name] || !instant.test(values[name])) {
      throw new UsageError(`--${name} must be a UTC instant such as 2026-12-03T10:00:00Z`);
    }
  }
  const target = await targetOf(values);
  try {
    const events = await eventsInRange(target.documentClient, target.tableName, {
      from: values.from!,
      to: values.to!,
      ...(values.type ? { type: values.type } : {}),
      ...(target.region ? { region: target.region } : {}),
    });
    console.log(`${events.length} event(s) from ${values.from} to ${values.to} in ${target.tableName}`);
    if (values['dry-run']) {
      for (const event of events) console.log(`  ${event.occurredAt}  ${event.type.padEnd(28)} ${event.id}`);
      return 0;
    }
    const published = await republishEvents(events, new EventBridgePublisher(target.eventBridge, target.busName));
    console.log(`${published} event(s) published to ${target.busName}`);
    return 0;
  } finally {
    target.documentClient.destroy();
    target.eventBridge.destroy();
  }
}

async function targetOf(values: {
  region?: string | undefined;
  table?: string | undefined;
  bus?: string | undefined;
  'runtime-file'?: string | undefined;
}) {
  if (values.region) {
    if (!values.table || !values.bus) throw new UsageError('--region needs --table and --bus');
    return {
      documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ region: values.region })),
      eventBridge: new EventBridgeClient({ region: values.region }),
      tableName: values.table,
      busName: values.bus,
      region: values.region,
    };
  }
  const running = await readRuntimeFile(values['runtime-file']);
  if (!running.aws) throw new UsageError('the running npm start is older than this command: restart it');
  // The local emulators accept any credentials; they never leave this machine.
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    documentClient: DynamoDBDocumentClient.from(new DynamoDBClient({ ...local, endpoint: running.dynamoDbEndpoint })),
    eventBridge: new EventBridgeClient({ ...local, endpoint: running.aws.url }),
    tableName: running.tableName,
    busName: running.aws.eventBusName,
    region: undefined,
  };
}

runCommand('events', usage, main);
