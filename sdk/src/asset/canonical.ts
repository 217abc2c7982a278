import { createHash } from 'node:crypto';

/**
 * Canonical JSON (the RFC 8785 / JCS rules for the values Cove uses): object keys sorted
 * recursively by UTF-16 code units, no whitespace, numbers and strings as `JSON.stringify`
 * writes them, `undefined` members dropped. Equal values give equal bytes whatever order
 * their keys were built in, so a sha256 over them is reproducible.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no representation for non-finite numbers');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON has no representation for ${typeof value}`);
}

/** sha256 of `bytes` as 0x-prefixed lowercase hex. */
export function sha256Hex(bytes: Uint8Array | string): `0x${string}` {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}
