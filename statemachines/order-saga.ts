import { envNames, type SettingName } from '../functions/core/config/settings';

/**
 * The state machines and the Lambda handler behind each `${Placeholder}` in their ASL files. CDK creates one
 * function per task placeholder and substitutes its ARN; the local runtime maps the same placeholders to the same
 * handler modules. Both machines share the compensation tasks.
 */
export const sagaTasks = {
  CheckRiskFunctionArn: 'functions/saga/check-risk.ts',
  ReserveStockFunctionArn: 'functions/saga/reserve-stock.ts',
  AuthorizePaymentFunctionArn: 'functions/saga/authorize-payment.ts',
  ConfirmOrderFunctionArn: 'functions/saga/confirm-order.ts',
  VoidPaymentFunctionArn: 'functions/saga/void-payment.ts',
  ReleaseStockFunctionArn: 'functions/saga/release-stock.ts',
  MarkOrderFailedFunctionArn: 'functions/saga/mark-order-failed.ts',
  FlagForAttentionFunctionArn: 'functions/saga/flag-for-attention.ts',
  ResumeHeldOrderFunctionArn: 'functions/saga/resume-held-order.ts',
} as const;

export type SagaPlaceholder = keyof typeof sagaTasks;

export interface StateMachineDefinition {
  /** Logical name; the deployed name is `orders-<env>-<name>`. */
  readonly name: string;
  readonly definitionFile: string;
  /** The task placeholders its ASL uses. */
  readonly tasks: readonly SagaPlaceholder[];
  /** The environment variable through which handlers find its ARN. */
  readonly arnEnvName: SettingName;
  /**
   * Whether its log keeps each state's input and output. Only for a workflow whose execution data holds no payment
   * data or credential (ids, the saga's results and decisions, error names and messages): Express workflows keep no
   * history, so without it a run cannot be followed. test/integration/no-secrets-in-logs.test.ts checks every
   * execution's data after orders went through every path.
   */
  readonly logsExecutionData: boolean;
}

export const orderSaga = {
  name: 'saga',
  definitionFile: 'statemachines/order-saga.asl.json',
  tasks: [
    'CheckRiskFunctionArn',
    'ReserveStockFunctionArn',
    'AuthorizePaymentFunctionArn',
    'ConfirmOrderFunctionArn',
    'VoidPaymentFunctionArn',
    'ReleaseStockFunctionArn',
    'MarkOrderFailedFunctionArn',
    'FlagForAttentionFunctionArn',
  ] as SagaPlaceholder[],
  arnEnvName: envNames.orderWorkflow.stateMachineArn,
  // Input: orderId and correlationId; results: risk, reservation, the provider's authorization id, failure reason.
  logsExecutionData: true,
} as const satisfies StateMachineDefinition;

export const orderCancellation = {
  name: 'cancellation',
  definitionFile: 'statemachines/order-cancellation.asl.json',
  tasks: ['VoidPaymentFunctionArn', 'ReleaseStockFunctionArn', 'FlagForAttentionFunctionArn'] as SagaPlaceholder[],
  arnEnvName: envNames.cancellationWorkflow.stateMachineArn,
  // Input: orderId and correlationId; results: what was voided, refunded and released.
  logsExecutionData: true,
} as const satisfies StateMachineDefinition;

/**
 * The continuation of a held order (ACTION_REQUIRED, REVIEW): started by whoever recorded the decision on it,
 * it confirms the order or compensates and fails it (see functions/core/use-cases/orders/held-orders.ts).
 */
export const orderContinuation = {
  name: 'continuation',
  definitionFile: 'statemachines/order-continuation.asl.json',
  tasks: [
    'ResumeHeldOrderFunctionArn',
    'ConfirmOrderFunctionArn',
    'VoidPaymentFunctionArn',
    'ReleaseStockFunctionArn',
    'MarkOrderFailedFunctionArn',
    'FlagForAttentionFunctionArn',
  ] as SagaPlaceholder[],
  arnEnvName: envNames.continuationWorkflow.stateMachineArn,
  // Input: orderId and correlationId; results: the decision (continue, or abandon with its reason) and what the
  // compensations did. The client secret stays on the order: no step reads or returns it.
  logsExecutionData: true,
} as const satisfies StateMachineDefinition;

export const stateMachines: readonly StateMachineDefinition[] = [orderSaga, orderCancellation, orderContinuation];

/** Replaces `${Name}` placeholders the way Step Functions' definitionSubstitutions does. */
export function substitute(definition: string, values: Readonly<Record<string, string>>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no substitution for placeholder ${match}`);
    return value;
  });
}

export function placeholdersIn(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]!))].sort();
}
