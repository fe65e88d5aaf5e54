import { orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { taskHandler } from '../core/observability/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { confirmOrder } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), events: eventPublisher() };

export const handler = taskHandler(sagaTaskInput, ({ orderId }) => confirmOrder(deps, orderId));
