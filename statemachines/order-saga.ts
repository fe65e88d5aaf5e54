/**
 * The order saga: its ASL file and the Lambda handler behind each `${Placeholder}` in it. CDK creates one function
 * per entry and substitutes its ARN; the local runtime maps the same placeholders to the same handler modules.
 */
export const orderSaga = {
  definitionFile: 'statemachines/order-saga.asl.json',
  tasks: {
    ReserveStockFunctionArn: 'functions/saga/reserve-stock.ts',
    AuthorizePaymentFunctionArn: 'functions/saga/authorize-payment.ts',
    ConfirmOrderFunctionArn: 'functions/saga/confirm-order.ts',
    VoidPaymentFunctionArn: 'functions/saga/void-payment.ts',
    ReleaseStockFunctionArn: 'functions/saga/release-stock.ts',
    FailOrderFunctionArn: 'functions/saga/fail-order.ts',
  },
} as const;

export type SagaPlaceholder = keyof typeof orderSaga.tasks;

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
