import {
  NotFoundError,
  OutOfStockError,
  PaymentProviderError,
  PaymentProviderUnavailableError,
  ProductUnavailableError,
  ValidationError,
} from '../../functions/core/domain/errors';
import { parseList } from '../../functions/core/http/caller';
import { toProblem } from '../../functions/core/http/problem';

describe('toProblem', () => {
  it.each([
    [new ValidationError('bad', [{ path: 'items', message: 'too short' }]), 400, 'VALIDATION_FAILED'],
    [new NotFoundError('gone'), 404, 'NOT_FOUND'],
    [new OutOfStockError('none left'), 409, 'OUT_OF_STOCK'],
    [new ProductUnavailableError('off'), 422, 'PRODUCT_UNAVAILABLE'],
  ])('maps %p to %i %s', (error, status, code) => {
    expect(toProblem(error, 'req-1')).toMatchObject({ status, code, requestId: 'req-1', detail: error.message });
  });

  it('answers 503 while the payment provider is unavailable (a dependency, not a bug)', () => {
    expect(toProblem(new PaymentProviderUnavailableError('breaker open'), 'r')).toMatchObject({ status: 503 });
  });

  it('lists validation issues', () => {
    expect(toProblem(new ValidationError('bad', [{ path: 'items', message: 'too short' }]), 'r').errors).toEqual([
      { path: 'items', message: 'too short' },
    ]);
  });

  it.each([
    new Error('ResourceNotFoundException: Requested resource not found: Table: orders-prod'),
    new PaymentProviderError('payment provider answered 500'),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
  ])('hides internals of unexpected errors behind a generic 500 (%p)', (error) => {
    const problem = toProblem(error, 'req-2');
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', requestId: 'req-2' });
    expect(JSON.stringify(problem)).not.toContain(error.message);
  });
});

describe('parseList', () => {
  it.each([
    ['customers', ['customers']],
    ['customers,admins', ['customers', 'admins']],
    ['[customers admins]', ['customers', 'admins']],
    [['admins'], ['admins']],
    [undefined, []],
    ['', []],
  ])('reads %p', (raw, expected) => {
    expect(parseList(raw)).toEqual(expected);
  });
});
