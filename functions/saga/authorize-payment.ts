import { orderStore } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { taskHandler } from '../core/observability/task-handler';
import { authorizePaymentInput } from '../core/schemas/saga-schemas';
import { authorizePayment } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), payments: paymentProvider() };

export const handler = taskHandler(authorizePaymentInput, ({ orderId, paymentToken }) =>
  authorizePayment(deps, orderId, paymentToken),
);
