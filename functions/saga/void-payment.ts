import { orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { taskHandler } from '../core/observability/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { voidPayment } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), payments: paymentProvider() };

export const handler = taskHandler(sagaTaskInput, ({ orderId }) => voidPayment(deps, orderId));
