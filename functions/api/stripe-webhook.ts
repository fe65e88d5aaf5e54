import { orderStore, webhookLedger } from '../core/adapters/dynamodb/stores';
import { paymentProvider } from '../core/adapters/payment-provider';
import { continuationStarter } from '../core/adapters/workflow-starter';
import { PaymentAuthenticationPendingError } from '../core/domain/errors';
import { newCorrelationId } from '../core/observability/correlation-id';
import { continueAfterAuthentication } from '../core/use-cases/orders/held-orders';
import { verifyStripeEvent, webhookSecretSource } from '../core/adapters/stripe-webhook-verifier';
import { settings } from '../core/config/settings';
import { httpHandler } from '../core/handlers/http-handler';
import { logger } from '../core/observability/powertools';
import { handlePaymentWebhook } from '../core/use-cases/payments/handle-payment-webhook';
import * as contract from './route-contracts';
import { routes } from './routes';

const webhooks = settings.paymentWebhooks();
const secret = webhookSecretSource(webhooks);
const payments = paymentProvider();
const orders = orderStore();
const continuations = continuationStarter();
const deps = {
  orders,
  payments,
  continueAuthenticated: async (order: Parameters<typeof continueAfterAuthentication>[1], correlationId?: string) => {
    try {
      const { started } = await continueAfterAuthentication(
        { orders, payments, continuations },
        order,
        'payment-provider',
        correlationId ?? newCorrelationId(),
      );
      return started;
    } catch (error) {
      // An event the intent has moved past again (the provider reports it as still waiting): nothing to do.
      if (error instanceof PaymentAuthenticationPendingError) return false;
      throw error;
    }
  },
  lookup: payments,
  ledger: webhookLedger(),
  dedupSeconds: webhooks.dedupSeconds,
};

export const handler = httpHandler(
  routes.stripeWebhook,
  contract.stripeWebhook,
  async ({ rawBody, headers, correlationId }) => {
    const event = await verifyStripeEvent(
      rawBody ?? '',
      headers['stripe-signature'],
      secret,
      webhooks.toleranceSeconds,
    );
    const outcome = await handlePaymentWebhook(deps, event, correlationId);
    // Ids only: the event's object (a PaymentIntent) is never logged.
    logger.info('payment webhook', { eventId: event.id, type: event.type, outcome });
    return { body: { received: true as const, outcome }, headers: { 'cache-control': 'no-store' } };
  },
);
