import type { Product } from '../functions/core/domain/product';

/** The demo catalog seeded on first start. Prices are integer minor units (cents). */
export const demoCatalog: readonly Product[] = [
  {
    productId: 'prod_espresso_beans',
    name: 'Espresso beans, 1 kg',
    description: 'Dark roast whole beans',
    price: { amount: 2490, currency: 'EUR' },
    active: true,
    available: 100,
    version: 1,
  },
  {
    productId: 'prod_pour_over_kettle',
    name: 'Pour-over kettle',
    description: 'Gooseneck kettle, 1 l, stainless steel',
    price: { amount: 5900, currency: 'EUR' },
    active: true,
    available: 25,
    version: 1,
  },
  {
    productId: 'prod_burr_grinder',
    name: 'Burr grinder',
    description: 'Conical burr grinder with 40 settings',
    price: { amount: 12900, currency: 'EUR' },
    active: true,
    available: 10,
    version: 1,
  },
  {
    productId: 'prod_paper_filters',
    name: 'Paper filters (100)',
    description: 'Unbleached cone filters',
    price: { amount: 590, currency: 'EUR' },
    active: true,
    available: 500,
    version: 1,
  },
  {
    productId: 'prod_limited_mug',
    name: 'Limited edition mug',
    description: 'Hand-glazed, only a few made',
    price: { amount: 3500, currency: 'EUR' },
    active: true,
    available: 3,
    version: 1,
  },
  {
    productId: 'prod_retired_scale',
    name: 'Coffee scale (retired)',
    description: 'No longer sold',
    price: { amount: 3900, currency: 'EUR' },
    active: false,
    available: 0,
    version: 1,
  },
];
