import { orderStore, webhookLedger } from '../core/adapters/dynamodb/stores';
import { eventPublisher } from '../core/adapters/event-publisher';
import { paymentProvider } from '../core/adapters/payment-provider';
import { verifyStripeEvent, webhookSecretSource } from '../core/adapters/stripe-webhook-verifier';
import { settings } from '../core/config/settings';
import { httpHandler } from '../core/handlers/http-handler';
import { logger } from '../core/observability/powertools';
import { handlePaymentWebhook } from '../core/use-cases/payments/handle-payment-webhook';
import { contract } from './contract';
import { routes } from './routes';

const webhooks = settings.paymentWebhooks();
const secret = webhookSecretSource(webhooks);
const payments = paymentProvider();
const deps = {
  orders: orderStore(),
  payments,
  lookup: payments,
  ledger: webhookLedger(),
  events: eventPublisher(),
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
