/**
 * How names from the route table, the saga and the job schedule become construct and output ids. The logical ids
 * of the deployed resources derive from these, so changing a rule here renames (and replaces) resources.
 */

/** `placeOrder` -> `PlaceOrder`; `ReserveStockFunctionArn` -> `ReserveStock`; `recover-orders` -> `RecoverOrders`. */
export function constructId(name: string): string {
  return name
    .replace(/FunctionArn$/, '')
    .replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase())
    .replace(/^./, (first) => first.toUpperCase());
}

/** `CANCELLATION_STATE_MACHINE_ARN` -> `CancellationStateMachineArn` (the stack output of that ARN). */
export function outputId(variableName: string): string {
  return variableName
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_match, _underscore: string, letter: string) => letter.toUpperCase());
}

/** `customer-app` -> `CustomerApp`: construct and output ids for a usage plan and its API key. */
export function planId(planName: string): string {
  return planName.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
