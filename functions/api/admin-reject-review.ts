import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import * as contract from './route-contracts';
import { reviewDecision } from './review-decision';
import { routes } from './routes';

export const handler = httpHandler(
  routes.adminRejectReview,
  contract.adminRejectReview,
  (request) => reviewDecision('reject', request),
  { idempotency: idempotentExecutor('admin-reject-review') },
);
