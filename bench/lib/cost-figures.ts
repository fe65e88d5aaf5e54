import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { projectRoot } from '../../local/runtime/local-runtime';
import { lambdaLogging } from '../../stacks/constructs/order-function';
import { workflowLogLevel } from '../../stacks/constructs/order-workflows';
import {
  costPerMillionOrders,
  loadPriceTable,
  priceOf,
  type Bill,
  type CostVariant,
  type FunctionUsage,
  type OrderUsage,
  type PriceTable,
} from './cost-model';
import type { DeployedApp } from './deployed-functions';
import { renderMemorySizing, sizeFunction, type SizingInput } from './memory-sizing';
import { apiAccessLogBytesPerRequest, lambdaPlatformLogBytesPerInvocation } from './log-estimates';
import type { PerOrderResult } from './per-order-figures';
import { formatBytes, formatRatio, formatUsd, heading, table } from './stats';
import type { WindowUsage } from './usage';

/** Part 4 of `npm run bench`: the cost per 1,000,000 orders from the counts measured in part 2 and bench/prices.json. */

/** The modelled order: POST /orders, then one GET /orders/{id} by the client to see the outcome. */
const statusReadsPerOrder = 1;

/** Write units per unit of a window as DynamoDB Local reports them, with the ones it does not report. */
const writeUnitsOf = (usage: WindowUsage) =>
  (usage.dynamoDb.writeUnits + usage.dynamoDb.unreportedWriteUnits) / usage.units;

/** The measurement windows of the modelled order, each with how many times it happens per order. */
function orderWindows(perOrder: PerOrderResult) {
  return [
    { usage: perOrder.orders, weight: 1 },
    { usage: perOrder.statusRead.usage, weight: statusReadsPerOrder },
  ];
}

function orderUsageFrom(deployed: DeployedApp, perOrder: PerOrderResult): OrderUsage {
  const { orders } = perOrder;
  const windows = orderWindows(perOrder);
  const perOrderOf = (value: (usage: WindowUsage) => number) =>
    windows.reduce((sum, { usage, weight }) => sum + (value(usage) / usage.units) * weight, 0);

  const names = new Set(windows.flatMap(({ usage }) => [...usage.functions.keys()]));
  const functions: FunctionUsage[] = [...names].map((name) => {
    const deployedFunction = deployed.functions.find((fn) => fn.name === name);
    if (!deployedFunction)
      throw new Error(`function ${name} ran offline but the ${deployed.envName} app does not deploy it`);
    return {
      name,
      memoryMb: deployedFunction.memoryMb,
      architecture: deployedFunction.architecture === 'arm64' ? 'arm64' : 'x86_64',
      invocationsPerOrder: perOrderOf((usage) => usage.functions.get(name)?.invocations ?? 0),
      billedMsPerOrder: perOrderOf((usage) => usage.functions.get(name)?.billedMs ?? 0),
    };
  });
  const invocations = functions.reduce((sum, fn) => sum + fn.invocationsPerOrder, 0);
  const apiRequests = perOrderOf((usage) =>
    [...usage.functions.entries()]
      .filter(([name]) => deployed.functions.find((fn) => fn.name === name)?.kind === 'api')
      .reduce((sum, [, fn]) => sum + fn.invocations, 0),
  );
  return {
    apiRequestsPerOrder: apiRequests,
    functions,
    workflows: [...orders.workflows.entries()].map(([machine, workflow]) => ({
      machine,
      executionsPerOrder: workflow.executions / orders.units,
      transitionsPerOrder: (workflow.statesEntered + workflow.retries) / orders.units,
      billedExpressMsPerOrder: workflow.billedExpressMs / orders.units,
      logBytesAtLevelAllPerOrder: workflow.logBytesAtLevelAll / orders.units,
    })),
    dynamoDb: {
      readUnitsPerOrder: perOrderOf((usage) => usage.dynamoDb.readUnits),
      // The order's writes as AWS bills them, from the window that measured every item (DynamoDB Local reports a
      // transaction's distinct per-item figures only); the status read writes nothing, as its window shows.
      writeUnitsPerOrder:
        perOrder.writes.breakdown.writeUnits / perOrder.writes.orders +
        statusReadsPerOrder * writeUnitsOf(perOrder.statusRead.usage),
      replicatedWriteUnitsPerOrder:
        perOrder.writes.breakdown.replicatedWriteUnits / perOrder.writes.orders +
        statusReadsPerOrder *
          (perOrder.statusRead.usage.dynamoDb.replicatedWriteUnits / perOrder.statusRead.usage.units),
      fenceWriteUnitsPerOrder: perOrderOf((usage) => 2 * usage.dynamoDb.replicatedTableTransactions),
    },
    eventsPerOrder: perOrderOf((usage) => usage.events),
    eventBytesPerOrder: perOrderOf((usage) => usage.eventBytes),
    logBytesPerOrder: {
      lambdaApplication: perOrderOf((usage) => usage.applicationLogBytes),
      // Lambda writes its START/END/REPORT lines only where the system log level lets them through.
      lambdaPlatform:
        lambdaLogging(deployed.config).systemLogLevelV2 === lambda.SystemLogLevel.WARN
          ? 0
          : invocations * lambdaPlatformLogBytesPerInvocation,
      apiAccess: apiRequests * apiAccessLogBytesPerRequest,
    },
  };
}

export function cost(deployed: DeployedApp, perOrder: PerOrderResult) {
  const prices = loadPriceTable(join(projectRoot, 'bench', 'prices.json'));
  const usage = orderUsageFrom(deployed, perOrder);
  const common = {
    tracingSampleRate: deployed.config.tracingSampleRate,
    workflowLogLevel: workflowLogLevel(deployed.config) === sfn.LogLevel.ALL ? 'ALL' : 'ERROR',
  } as const;
  const sampleRate = common.tracingSampleRate;
  const variants: CostVariant[] = [
    { label: 'Express', workflowType: 'EXPRESS', replicaRegions: 0, ...common },
    { label: 'Express +1 replica', workflowType: 'EXPRESS', replicaRegions: 1, ...common },
    { label: 'Standard', workflowType: 'STANDARD', replicaRegions: 0, ...common },
    { label: 'Standard +1 replica', workflowType: 'STANDARD', replicaRegions: 1, ...common },
  ];
  const bills: Bill[] = variants.map((variant) => costPerMillionOrders(usage, prices, variant));
  heading(`4. Cost per 1,000,000 orders (${prices.region} list prices from bench/prices.json, USD)`);
  console.log(
    `Modelled order: POST /orders (saga to CONFIRMED) + ${statusReadsPerOrder} GET /orders/{orderId}, with the counts measured above; ` +
      `${deployed.envName} settings from the CDK app: memory per function, arm64, tracing ${(sampleRate * 100).toFixed(0)} %, ` +
      `log level ${deployed.config.logLevel} (workflows ${common.workflowLogLevel}, Lambda's START/END/REPORT lines ${usage.logBytesPerOrder.lambdaPlatform > 0 ? 'kept' : 'left out'}). Lambda and Express durations are offline measurements (an approximation).`,
  );
  const keyOf = (item: { service: string; item: string }) =>
    `${item.service} — ${item.item.replace(/ \(\d+ replicas?\)$/, '')}`;
  const keys = new Map<string, number>();
  for (const bill of bills) {
    for (const item of bill.items) keys.set(keyOf(item), Math.max(keys.get(keyOf(item)) ?? 0, item.usd));
  }
  const rows = [...keys.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key]) => [
      key,
      ...bills.map((bill) => {
        const item = bill.items.find((candidate) => keyOf(candidate) === key);
        return item ? formatUsd(item.usd) : '–';
      }),
    ]);
  rows.push(['total per 1,000,000 orders', ...bills.map((bill) => formatUsd(bill.totalUsd))]);
  rows.push(['per order', ...bills.map((bill) => formatUsd(bill.totalUsd / 1_000_000))]);
  console.log(table(['line item', ...variants.map((variant) => variant.label)], rows));
  const express = bills[0]!;
  const standard = bills[2]!;
  console.log(
    `Standard costs ${formatRatio(standard.totalUsd, express.totalUsd)} Express per order; one replica region adds ` +
      `${formatUsd(bills[1]!.totalUsd - express.totalUsd)} per million orders. Quantities per order: ` +
      `${usage.apiRequestsPerOrder.toFixed(2)} API requests, ${usage.functions.reduce((sum, fn) => sum + fn.invocationsPerOrder, 0).toFixed(2)} Lambda invocations, ` +
      `${usage.dynamoDb.writeUnitsPerOrder.toFixed(2)} WRU, ${usage.dynamoDb.readUnitsPerOrder.toFixed(2)} RRU, ` +
      `${usage.workflows.reduce((sum, workflow) => sum + workflow.transitionsPerOrder, 0).toFixed(2)} state transitions, ` +
      `${usage.eventsPerOrder.toFixed(2)} events, ` +
      `${formatBytes(usage.logBytesPerOrder.lambdaApplication + usage.logBytesPerOrder.lambdaPlatform + usage.logBytesPerOrder.apiAccess)} logs + ` +
      `${formatBytes(common.workflowLogLevel === 'ALL' ? usage.workflows.reduce((sum, workflow) => sum + workflow.logBytesAtLevelAllPerOrder, 0) : 0)} workflow logs ` +
      `(${formatBytes(usage.workflows.reduce((sum, workflow) => sum + workflow.logBytesAtLevelAllPerOrder, 0))} at level ALL); ` +
      `the write fence adds ${usage.dynamoDb.fenceWriteUnitsPerOrder.toFixed(2)} WRU with replicas.`,
  );
  const workflowUsd = (bill: Bill) =>
    bill.items.filter((item) => item.service === 'Step Functions').reduce((sum, item) => sum + item.usd, 0);
  console.log(
    `The saga workflow alone: Express ${formatUsd(workflowUsd(express))}, Standard ${formatUsd(workflowUsd(standard))} ` +
      `per million orders (${formatRatio(workflowUsd(standard), workflowUsd(express))}).`,
  );
  console.log(
    'Not per order (see bench/README.md): KMS key and table-key refreshes, secrets, web ACL and rules, AppConfig, alarms, API cache.',
  );
  printMemorySizing(deployed, perOrder, prices);
}

/** Each function of the modelled order with its measured invocations, each weighted by what it counts for per order. */
function sizingInputs(deployed: DeployedApp, perOrder: PerOrderResult): SizingInput[] {
  const windows = orderWindows(perOrder);
  const names = new Set(windows.flatMap(({ usage }) => [...usage.functions.keys()]));
  return [...names].map((name) => ({
    name,
    currentMb: deployed.functions.find((fn) => fn.name === name)?.memoryMb ?? 128,
    samples: windows.flatMap(({ usage, weight }) => {
      const totals = usage.functions.get(name);
      if (!totals) return [];
      return totals.durationsMs.map((durationMs, index) => {
        const cpuMs = totals.cpuMs[index];
        return { sample: { durationMs, ...(cpuMs === undefined ? {} : { cpuMs }) }, perOrder: weight / usage.units };
      });
    }),
  }));
}

function printMemorySizing(deployed: DeployedApp, perOrder: PerOrderResult, prices: PriceTable) {
  const sizings = sizingInputs(deployed, perOrder).map((input) => {
    const architecture = deployed.functions.find((fn) => fn.name === input.name)?.architecture;
    return sizeFunction(input, priceOf(prices, architecture === 'arm64' ? 'lambda.gbs.arm64' : 'lambda.gbs.x86'));
  });
  console.log(
    '\nMemory sizing per function of the modelled order (Lambda duration only; requests cost the same at every size). ' +
      'A MODEL, not a measurement: CPU share grows with memory up to one vCPU at 1,769 MB, so the CPU part of each ' +
      'measured invocation (process CPU time, taken as time on one full vCPU) scales with 1,769 ÷ memory and the ' +
      'waiting part (DynamoDB, the payment provider) does not. It knows nothing of the memory a function needs: ' +
      "check Max Memory Used in Lambda's REPORT lines before going below the current size (bench/README.md).",
  );
  console.log(renderMemorySizing(sizings));
}
