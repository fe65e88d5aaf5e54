import { httpHandler } from '../core/handlers/http-handler';
import { idempotentExecutor } from '../core/http/idempotency';
import * as contract from './route-contracts';
import { reviewDecision } from './review-decision';
import { routes } from './routes';

export const handler = httpHandler(
  routes.adminApproveReview,
  contract.adminApproveReview,
  (request) => reviewDecision('approve', request),
  { idempotency: idempotentExecutor('admin-approve-review') },
);
