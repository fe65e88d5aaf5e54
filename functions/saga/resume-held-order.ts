import { orderStore } from '../core/adapters/dynamodb/stores';
import { taskHandler } from '../core/handlers/task-handler';
import { sagaTaskInput } from '../core/schemas/saga-schemas';
import { resumeHeldOrder } from '../core/use-cases/saga/resume-held-order';

const deps = { orders: orderStore() };

export const handler = taskHandler(sagaTaskInput, async ({ orderId }) => resumeHeldOrder(deps, orderId));
