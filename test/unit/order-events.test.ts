import { orderEvent, type OrderEventType } from '../../functions/core/domain/events';
import type { Order } from '../../functions/core/domain/order';
import { oneUnitOrder, testContactEmail, testShippingAddress } from '../helpers/fixtures';

const order: Order = {
  ...oneUnitOrder({
    orderId: 'ord_1',
    customerId: 'alice',
    status: 'CONFIRMED',
    product: { productId: 'prod_1', name: 'Beans', price: 100 },
    createdAt: '2026-12-03T00:00:00.000Z',
    paymentMethod: 'pm_card_visa',
  }),
  shippingAddress: testShippingAddress,
  contactEmail: testContactEmail,
  correlationId: 'corr-1',
};

describe('what an order event carries', () => {
  it('order.confirmed carries the shipping address and contact email, for fulfilment', () => {
    const event = orderEvent('order.confirmed', order, order.updatedAt);
    expect(event.data).toMatchObject({ shippingAddress: testShippingAddress, contactEmail: testContactEmail });
    expect(event.data).not.toHaveProperty('paymentMethod');
    expect(event).toMatchObject({ id: 'ord_1:order.confirmed', version: 2, correlationId: 'corr-1' });
  });

  it.each<OrderEventType>(['order.placed', 'order.failed', 'order.cancelled', 'order.fulfilled'])(
    '%s leaves them out',
    (type) => {
      const { data } = orderEvent(type, order, order.updatedAt);
      expect(data).not.toHaveProperty('shippingAddress');
      expect(data).not.toHaveProperty('contactEmail');
      expect(data).toMatchObject({ orderId: 'ord_1', total: order.total });
    },
  );

  it('an order stored before addresses existed confirms without them', () => {
    const { shippingAddress: _address, contactEmail: _email, ...older } = order;
    const { data } = orderEvent('order.confirmed', older, order.updatedAt);
    expect(data).not.toHaveProperty('shippingAddress');
    expect(data).not.toHaveProperty('contactEmail');
  });
});
