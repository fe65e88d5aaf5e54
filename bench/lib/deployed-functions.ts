import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { routeList } from '../../functions/api/routes';
import { jobs, type JobName } from '../../functions/jobs/schedule';
import { sagaTasks, type SagaPlaceholder } from '../../statemachines/order-saga';
import type { EnvironmentConfig, EnvironmentName } from '../../bin/environment-config';
import type { OrderFunction } from '../../stacks/constructs/order-function';
import { buildApp } from '../../stacks/orders-app';

/** One Lambda function the CDK app deploys, with the settings the benchmarks and the cost model need. */
export interface DeployedFunction {
  /** The handler file's name: what the local runtime and the saga probe call the function. */
  readonly name: string;
  readonly kind: 'api' | 'saga' | 'job';
  /** Handler module relative to the project root. */
  readonly handlerModule: string;
  readonly memoryMb: number;
  readonly architecture: string;
  /**
   * The function's environment variables as synthesized; values that only exist at deploy time (table names,
   * ARNs: CloudFormation references) are replaced by `deploy-time-value`.
   */
  readonly environment: Readonly<Record<string, string>>;
}

export interface DeployedApp {
  readonly envName: EnvironmentName;
  readonly config: EnvironmentConfig;
  readonly functions: readonly DeployedFunction[];
}

/**
 * Builds the CDK app for one environment, as `cdk synth -c env=<name>` does but with asset bundling skipped (CDK's
 * own switch for that), and reads each function's memory, architecture and environment from the construct tree.
 * The list of functions comes from the same tables the stacks loop over: the route table, the saga task table and
 * the job schedule; a handler module shared by several entries is listed once.
 */
export function deployedFunctions(envName: EnvironmentName, projectRoot: string): DeployedApp {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const context = { ...structuredClone(cdkJson.context), 'aws:cdk:bundling-stacks': [] };
  const orders = buildApp({ envName, context });
  const { service } = orders;

  const entries: { kind: DeployedFunction['kind']; handlerModule: string; construct: OrderFunction | undefined }[] = [
    ...routeList.map((route) => ({
      kind: 'api' as const,
      handlerModule: route.handler,
      construct: service.routeFunctions.get(route.id),
    })),
    ...(Object.entries(sagaTasks) as [SagaPlaceholder, string][]).map(([placeholder, handlerModule]) => ({
      kind: 'saga' as const,
      handlerModule,
      construct: service.sagaFunctions.get(placeholder),
    })),
    ...(Object.entries(jobs) as [JobName, { handler: string }][]).map(([name, job]) => ({
      kind: 'job' as const,
      handlerModule: job.handler,
      construct: service.jobFunctions.get(name),
    })),
  ];

  const seen = new Set<string>();
  const functions: DeployedFunction[] = [];
  for (const entry of entries) {
    if (seen.has(entry.handlerModule)) continue;
    seen.add(entry.handlerModule);
    if (!entry.construct) throw new Error(`the ${envName} app deploys no function for ${entry.handlerModule}`);
    const cfn = entry.construct.function.node.defaultChild as CfnFunction;
    const stack = Stack.of(entry.construct);
    // The L1 property (camelCase), resolved: CloudFormation intrinsics where a value is a deploy-time token.
    const resolved = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
    const environment = Object.fromEntries(
      Object.entries(resolved?.variables ?? {}).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : 'deploy-time-value',
      ]),
    );
    const architectures = (stack.resolve(cfn.architectures) as string[] | undefined) ?? ['x86_64'];
    functions.push({
      name: entry.handlerModule.replace(/^.*\//, '').replace(/\.ts$/, ''),
      kind: entry.kind,
      handlerModule: entry.handlerModule,
      memoryMb: Number(stack.resolve(cfn.memorySize) ?? 128),
      architecture: architectures[0] ?? 'x86_64',
      environment,
    });
  }
  return { envName, config: orders.config, functions };
}
