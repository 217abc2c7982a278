import { CoveError, isCoveError } from '../errors.js';

/** How the CLI prints: human lines, one JSON document (`--json`), or one field (`--get path`). */
export type OutputMode = { json: boolean; debug: boolean; get?: string };

/** With --json, the result waits here until the command ends: one document, the result or the error. */
let pending: { data: unknown } | undefined;

/**
 * Prints a command's result: `human` lines for people, `data` as JSON with `--json`, one field
 * with `--get`. With `--json` it is written when the command ends (`flushResult`), so that a
 * command failing after its result (a failed audit) still prints one document: the error,
 * carrying the result.
 */
export function printResult(mode: OutputMode, data: unknown, human: () => string[]): void {
  if (mode.get !== undefined) {
    const value = mode.get.split('.').reduce<unknown>((v, key) => (v === null || v === undefined ? undefined : (v as Record<string, unknown>)[key]), data);
    if (value === undefined) throw new CoveError('USAGE', `the result has no field "${mode.get}"`);
    const text = typeof value === 'object' && value !== null ? JSON.stringify(value, jsonReplacer) : String(value);
    process.stdout.write(`${text}\n`);
  } else if (mode.json) pending = { data };
  else for (const line of human()) process.stdout.write(`${line}\n`);
}

/** Writes the --json result held by `printResult`, if any. */
export function flushResult(): void {
  if (pending === undefined) return;
  const { data } = pending;
  pending = undefined;
  process.stdout.write(`${JSON.stringify(data, jsonReplacer, 2)}\n`);
}

/** BigInts and byte arrays as strings, so every result serialises. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/**
 * One clear line for a failure (`cove: CODE: message`), JSON with `--json`
 * (`{ "error": { code, message, details? }, "result"? }`: `result` when the command had one,
 * as a failed audit's verdict), the stack only with `--debug`. Returns the exit code: 2 for
 * usage errors (`USAGE`, `CONFIRMATION_REQUIRED`), 1 otherwise.
 */
export function printError(mode: OutputMode, err: unknown): number {
  const { code, message } = describeError(err);
  if (mode.json) {
    const details = isCoveError(err) ? err.details : undefined;
    const result = pending;
    pending = undefined;
    process.stdout.write(`${JSON.stringify({ error: { code, message, ...(details === undefined ? {} : { details }) }, ...(result === undefined ? {} : { result: result.data }) }, jsonReplacer)}\n`);
  } else {
    process.stderr.write(`cove: ${code}: ${message}\n`);
  }
  if (mode.debug && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
  return USAGE_CODES.has(code) ? 2 : 1;
}

/** Codes that exit 2: the command line must change (a bad option, or --yes missing where nobody can be asked). */
const USAGE_CODES = new Set(['USAGE', 'CONFIRMATION_REQUIRED']);

type EthersLike = Error & { code: string; shortMessage: string; reason?: unknown; revert?: { name?: string; args?: unknown[] } };

/** Ethers' errors carry a short message and a code; their full message runs to lines of JSON. */
function isEthersError(err: unknown): err is EthersLike {
  return err instanceof Error && typeof (err as { shortMessage?: unknown }).shortMessage === 'string' && typeof (err as { code?: unknown }).code === 'string';
}

/** Ethers' codes as the CLI reports them. */
const ETHERS_CODES: Record<string, string> = {
  CALL_EXCEPTION: 'CHAIN_CALL_REVERTED',
  NETWORK_ERROR: 'RPC_FAILED',
  SERVER_ERROR: 'RPC_FAILED',
  TIMEOUT: 'RPC_FAILED',
  UNKNOWN_ERROR: 'RPC_FAILED',
  BAD_DATA: 'CHAIN_BAD_DATA',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  NONCE_EXPIRED: 'NONCE_EXPIRED',
  REPLACEMENT_UNDERPRICED: 'NONCE_EXPIRED',
  TRANSACTION_REPLACED: 'TRANSACTION_REPLACED',
  INVALID_ARGUMENT: 'INVALID_PARAMS',
};

/**
 * The code and one-line message the user sees. Ethers' raw errors (and messages that embed
 * one) are cut to their short message; file and connection errors of Node name the path or
 * the address; anything without an upper-case code is UNEXPECTED.
 */
export function describeError(err: unknown): { code: string; message: string } {
  if (isCoveError(err)) return { code: err.code, message: oneLine(err.message) };
  if (isEthersError(err)) {
    const revert = err.revert?.name === undefined ? '' : ` (${err.revert.name}${err.revert.args && err.revert.args.length > 0 ? `: ${err.revert.args.map(String).join(', ')}` : ''})`;
    return { code: ETHERS_CODES[err.code] ?? `CHAIN_${err.code}`, message: oneLine(`${err.shortMessage}${revert}`) };
  }
  const sys = err as { code?: unknown; path?: unknown; cause?: { code?: unknown; address?: unknown; port?: unknown; message?: unknown } } | null;
  if (sys?.code === 'ENOENT' && typeof sys.path === 'string') return { code: 'FILE_NOT_FOUND', message: `no such file or directory: ${sys.path}` };
  if (sys?.code === 'EACCES' && typeof sys.path === 'string') return { code: 'FILE_NOT_READABLE', message: `permission denied: ${sys.path}` };
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TypeError && message === 'fetch failed' && typeof sys?.cause?.code === 'string') {
    return { code: 'CONNECTION_FAILED', message: `could not connect: ${sys.cause.code}${typeof sys.cause.address === 'string' ? ` ${sys.cause.address}${sys.cause.port === undefined ? '' : `:${String(sys.cause.port)}`}` : ''}` };
  }
  const code = sys?.code;
  return { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : 'UNEXPECTED', message: oneLine(message) };
}

/** One line: ethers' `(action=…, data=…, version=6.x)` tail cut off, newlines folded. */
export function oneLine(message: string): string {
  let text = message;
  if (/version=6\./.test(text)) {
    const tail = text.search(/ \([a-zA-Z]+=/);
    if (tail > 0) text = text.slice(0, tail);
  }
  text = text.replace(/\s*\n\s*/g, ' ').trim();
  // Ethers' "execution reverted (no data present; likely require(false) occurred" lacks its ")".
  const open = (text.match(/\(/g) ?? []).length - (text.match(/\)/g) ?? []).length;
  return open > 0 && open < 4 ? text + ')'.repeat(open) : text;
}
