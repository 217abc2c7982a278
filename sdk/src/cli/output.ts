import { CoveError, isCoveError } from '../errors.js';

/** How the CLI prints: human lines, one JSON document (`--json`), or one field (`--get path`). */
export type OutputMode = { json: boolean; debug: boolean; get?: string };

/** Prints a command's result: `human` lines for people, `data` as JSON with `--json`, one field with `--get`. */
export function printResult(mode: OutputMode, data: unknown, human: () => string[]): void {
  if (mode.get !== undefined) {
    const value = mode.get.split('.').reduce<unknown>((v, key) => (v === null || v === undefined ? undefined : (v as Record<string, unknown>)[key]), data);
    if (value === undefined) throw new CoveError('USAGE', `the result has no field "${mode.get}"`);
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value, jsonReplacer) : String(value);
    process.stdout.write(`${text}\n`);
  } else if (mode.json) process.stdout.write(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
  else for (const line of human()) process.stdout.write(`${line}\n`);
}

/** BigInts and byte arrays as strings, so every result serialises. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/**
 * One clear line for a failure (`cove: CODE: message`), JSON with `--json`, the stack
 * only with `--debug`. Returns the exit code: 2 for usage errors, 1 otherwise.
 */
export function printError(mode: OutputMode, err: unknown): number {
  const code = isCoveError(err) ? err.code : errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (mode.json) {
    const details = isCoveError(err) ? err.details : undefined;
    process.stdout.write(`${JSON.stringify({ error: { code, message, details } }, jsonReplacer)}\n`);
  } else {
    process.stderr.write(`cove: ${code}: ${message}\n`);
  }
  if (mode.debug && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  return code === 'USAGE' ? 2 : 1;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : 'UNEXPECTED';
}
