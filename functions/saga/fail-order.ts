import { orderStore } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { taskHandler } from '../core/observability/task-handler';
import { failOrderInput } from '../core/schemas/saga-schemas';
import { failOrder } from '../core/use-cases/saga-steps';

const deps = { orders: orderStore(), events: eventPublisher() };

export const handler = taskHandler(failOrderInput, ({ orderId, reason }) => failOrder(deps, orderId, reason));
