/**
 * The size of a DynamoDB item as DynamoDB counts it for capacity ("Item sizes and formats" in the DynamoDB developer
 * guide): per attribute, the UTF-8 bytes of its name plus its value's size. Items arrive here in the wire format
 * (DynamoDB JSON: `{ "S": "..." }`, `{ "N": "12" }`, `{ "M": {...} }`, ...), as the counting proxy sees them. Pure:
 * unit-tested in test/unit/bench-write-breakdown.test.ts.
 */

export type WireValue = Readonly<Record<string, unknown>>;
export type WireItem = Readonly<Record<string, WireValue>>;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** A number: about one byte per two significant digits, plus one (leading and trailing zeros do not count). */
function numberBytes(raw: string): number {
  const digits = raw.replace(/^[-+]/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const binaryBytes = (base64: string) => Buffer.from(base64, 'base64').length;

export function valueBytes(value: WireValue): number {
  const [type, content] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return utf8(String(content));
    case 'N':
      return numberBytes(String(content));
    case 'B':
      return binaryBytes(String(content));
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (content as string[]).reduce((sum, entry) => sum + utf8(entry), 0);
    case 'NS':
      return (content as string[]).reduce((sum, entry) => sum + numberBytes(entry), 0);
    case 'BS':
      return (content as string[]).reduce((sum, entry) => sum + binaryBytes(entry), 0);
    case 'L':
      // 3 bytes of overhead per list, 1 per element.
      return 3 + (content as WireValue[]).reduce((sum, entry) => sum + 1 + valueBytes(entry), 0);
    case 'M':
      // 3 bytes of overhead per map, 1 per element, plus the element names.
      return (
        3 +
        Object.entries(content as Record<string, WireValue>).reduce(
          (sum, [name, entry]) => sum + 1 + utf8(name) + valueBytes(entry),
          0,
        )
      );
    default:
      return 0;
  }
}

/** Bytes of each top-level attribute (name + value). */
export function attributeBytes(item: WireItem): Map<string, number> {
  return new Map(Object.entries(item).map(([name, value]) => [name, utf8(name) + valueBytes(value)]));
}

export function itemBytes(item: WireItem): number {
  let total = 0;
  for (const bytes of attributeBytes(item).values()) total += bytes;
  return total;
}

/** Write request units of one write of an item this size: 1 per KB (rounded up), at least 1; double in a transaction. */
export function writeUnitsOf(bytes: number, transactional: boolean): number {
  return Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
}
