import { inventoryStore, orderStore } from '../core/adapters/dynamodb/stores';
import { taskHandler } from '../core/observability/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { releaseStock } from '../core/use-cases/saga-steps';

const orders = orderStore();
const deps = { orders, inventory: inventoryStore(orders) };

export const handler = taskHandler(sagaTaskInput, ({ orderId }) => releaseStock(deps, orderId));
