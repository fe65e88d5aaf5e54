import { ValidationError } from '../../domain/errors';

/** Cursors are opaque to clients: base64url of the last evaluated key, checked on the way back in. */
export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key)) {
      const values = Object.values(key);
      if (values.length > 0 && values.length <= 4 && values.every((v) => typeof v === 'string')) {
        return key as Record<string, unknown>;
      }
    }
  } catch {
    // fall through to the validation error
  }
  throw invalidCursor();
}

/**
 * What a query's ExclusiveStartKey must look like: exactly the table's and the index's key attributes, all strings,
 * in the partition being queried and, when the key condition bounds the sort key, within those bounds. DynamoDB
 * refuses anything else with a ValidationException, which would otherwise surface as a 500 for a client's mistake.
 */
export interface StartKeyShape {
  readonly attributes: readonly string[];
  readonly partition: { readonly attribute: string; readonly value: string };
  readonly sortRange?: { readonly attribute: string; readonly low: string; readonly high: string };
}

/** Decodes a client's cursor into a start key of the given shape, or refuses it with a 400. */
export function startKeyFrom(cursor: string, shape: StartKeyShape): Record<string, string> {
  return checkStartKey(decodeCursor(cursor), shape);
}

export function checkStartKey(key: unknown, shape: StartKeyShape): Record<string, string> {
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalidCursor();
  const entries = Object.entries(key);
  const wellFormed =
    entries.length === shape.attributes.length &&
    entries.every(([name, value]) => shape.attributes.includes(name) && typeof value === 'string' && value !== '');
  if (!wellFormed) throw invalidCursor();
  const startKey = key as Record<string, string>;
  if (startKey[shape.partition.attribute] !== shape.partition.value) throw invalidCursor();
  const range = shape.sortRange;
  if (range) {
    const sortKey = startKey[range.attribute]!;
    if (sortKey < range.low || sortKey > range.high) throw invalidCursor();
  }
  return startKey;
}

export function invalidCursor(): ValidationError {
  return new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API issued' }]);
}
