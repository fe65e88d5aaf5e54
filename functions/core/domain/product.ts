import type { Money } from './money';

export interface Product {
  readonly productId: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly active: boolean;
  /** Units that can still be reserved; never negative (every decrement is conditional). */
  readonly available: number;
  readonly version: number;
}
