import { existsSync, readFileSync } from 'node:fs';
import { CoveError } from '../errors.js';

/** A usage error: printed as one line, exit code 2. */
export function usage(message: string, details?: Record<string, unknown>): CoveError {
  return new CoveError('USAGE', message, details === undefined ? {} : { details });
}

/** A decimal asset id (token id of the data NFT). */
export function parseAssetId(text: string): bigint {
  if (!/^[0-9]+$/.test(text)) throw usage(`asset id must be a decimal number, got "${text}"`);
  return BigInt(text);
}

/** A job id: 0x and 64 hex digits. */
export function parseJobId(text: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) throw usage(`job id must be 0x followed by 64 hex digits, got "${text}"`);
  return text.toLowerCase();
}

/** Sizes like 64MiB, 1GiB, 512KiB or plain bytes. */
export function parseBytes(text: string, name: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text.trim());
  if (m === null) throw usage(`--${name} must be a size such as 64MiB, got "${text}"`);
  const unit = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Math.floor(Number(m[1]) * unit);
}

export function parsePositiveInt(text: string, name: string): number {
  if (!/^[1-9][0-9]*$/.test(text)) throw usage(`--${name} must be a positive integer, got "${text}"`);
  return Number(text);
}

/** JSON given inline or as @file / a file path. */
export function parseJsonOption(text: string, name: string): unknown {
  const source = text.trim().startsWith('{') || text.trim().startsWith('[') ? text : readFileSync(text.replace(/^@/, ''), 'utf8');
  try {
    return JSON.parse(source);
  } catch {
    throw usage(`--${name} is neither JSON nor a readable JSON file`);
  }
}

/** Collects a repeatable option (`--allow-image a --allow-image b`, or comma-separated). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** Fails with `FILE_NOT_FOUND` (exit 1) unless `path` exists: before any session, order or upload. */
export function requireInput(path: string, what: string): void {
  if (!existsSync(path)) throw new CoveError('FILE_NOT_FOUND', `no such file or directory: ${path} (${what})`, { details: { path } });
}
