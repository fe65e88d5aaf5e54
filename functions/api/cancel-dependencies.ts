import { orderStore } from '../core/adapters/dynamodb/stores';
import { cancellationStarter } from '../core/adapters/workflow-starter';
import { settings } from '../core/config/settings';

/** What a cancellation needs, for the owner's cancel and the admins' alike (one use case, one workflow). */
export function cancelDependencies() {
  return {
    orders: orderStore(),
    cancellations: cancellationStarter(),
    // The recovery job's threshold: a cancellation workflow still unfinished by then has died.
    compensationDeadlineSeconds: settings.recovery().afterSeconds,
  };
}
