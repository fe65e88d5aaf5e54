import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { selectEnvironment } from '../../bin/environment-config';
import { runCommand, UsageError } from './lib/data-command';
import { fenceRegion, promote, PromotionError, readRoles, type RegionTable } from './lib/region-control';

const usage = `npm run region -- <status | promote <region> | fence <region>> [options]
Which region of the orders table writes (docs/regions.md, runbook docs/runbooks/regional-failover.md).
  status                   the role each region's replica holds (a region that does not answer says so)
  promote <region>         fences the old active region if it answers, waits for its writes to replicate, makes
                           <region> active under the next epoch, and marks what it finds in flight for its recovery
  fence <region>           a region that was down comes back as a standby: it gets the newest role before it serves
In AWS (credentials from the usual SDK chain):
  --env <name>             the environment in cdk.json: its primaryRegion and replicaRegions, table orders-<env>
Offline (the failover drill's two regions):
  --endpoint <region>=<url>  each region's DynamoDB endpoint (repeat it), with --table and --primary
  --table <name>, --primary <region>
Promotion:
  --settle-seconds <n>     after the fence reached the new region, wait this much more (default 5)
  --max-wait-seconds <n>   give up waiting for replication after this long (default 300)
  --force                  promote even though the old region answered but did not drain in time`;

/** `npm run region`: reads and changes which region writes. Exit status 0, 1 (refused) or 2 (usage). */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      endpoint: { type: 'string', multiple: true },
      table: { type: 'string' },
      primary: { type: 'string' },
      'settle-seconds': { type: 'string' },
      'max-wait-seconds': { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [command, region] = positionals;
  if (command !== 'status' && command !== 'promote' && command !== 'fence') {
    throw new UsageError('the command is status, promote <region> or fence <region>');
  }
  if (command !== 'status' && !region) throw new UsageError(`${command} needs a region`);
  const { tables, primaryRegion } = regionTables(values);
  try {
    if (command === 'status') {
      for (const reading of await readRoles(tables, primaryRegion)) {
        if (!reading.answered) console.log(`${reading.region}: does not answer (${reading.error})`);
        else {
          const { role } = reading;
          const part = role.activeRegion === reading.region && role.state === 'active' ? 'ACTIVE' : 'standby';
          console.log(
            `${reading.region}: ${part}  (role: ${role.activeRegion} ${role.state}, epoch ${role.epoch}, since ${role.changedAt})`,
          );
        }
      }
      return 0;
    }
    if (command === 'fence') {
      await fenceRegion(region!, tables, primaryRegion, console.log);
      return 0;
    }
    const report = await promote({
      to: region!,
      tables,
      primaryRegion,
      settleMs: seconds(values['settle-seconds'], 5) * 1000,
      maxWaitMs: seconds(values['max-wait-seconds'], 300) * 1000,
      force: values.force ?? false,
      log: console.log,
    });
    console.log(JSON.stringify(report));
    return 0;
  } finally {
    for (const table of tables) table.client.destroy();
  }
}

function seconds(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`expected a number of seconds, got ${raw}`);
  return value;
}

function regionTables(values: {
  env?: string | undefined;
  endpoint?: string[] | undefined;
  table?: string | undefined;
  primary?: string | undefined;
}): { tables: RegionTable[]; primaryRegion: string } {
  const document = (client: DynamoDBClient) =>
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  if (values.env) {
    const cdk = JSON.parse(readFileSync(join(resolve(__dirname, '..', '..'), 'cdk.json'), 'utf8')) as {
      context: { environments: unknown };
    };
    const config = selectEnvironment(cdk.context.environments, values.env);
    if (config.replicaRegions.length === 0) throw new UsageError(`${values.env} has no replica region`);
    const tableName = values.table ?? `orders-${values.env}`;
    return {
      primaryRegion: config.primaryRegion,
      tables: [config.primaryRegion, ...config.replicaRegions].map((region) => ({
        region,
        tableName,
        client: document(new DynamoDBClient({ region, maxAttempts: 2 })),
      })),
    };
  }
  if (!values.endpoint?.length || !values.table || !values.primary) {
    throw new UsageError('give --env, or --endpoint (one per region) with --table and --primary');
  }
  return {
    primaryRegion: values.primary,
    tables: values.endpoint.map((pair) => {
      const [region, url] = pair.split('=');
      if (!region || !url) throw new UsageError(`--endpoint takes <region>=<url>, got ${pair}`);
      return {
        region,
        tableName: values.table!,
        client: document(
          new DynamoDBClient({
            region,
            endpoint: url,
            maxAttempts: 2,
            credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          }),
        ),
      };
    }),
  };
}

runCommand('region', usage, main, {
  verdict: (error) => (error instanceof PromotionError ? 'refused' : undefined),
});
