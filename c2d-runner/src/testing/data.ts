/**
 * A CSV of random numbers: a header, then `rows` rows of `features` values (8 decimals), with
 * an `id` column first and a 0/1 `label` column last unless turned off. No 64-byte run of it
 * recurs by chance, so any verbatim run an output shares with it was copied.
 *
 * @example
 * randomCsv({ rows: 4000, features: 12 }) // ~520 KB, rows of ~130 bytes
 */
export function randomCsv(params: { rows: number; features: number; id?: boolean; label?: boolean }): string {
  const id = params.id ?? true;
  const label = params.label ?? true;
  const header = [...(id ? ['id'] : []), ...Array.from({ length: params.features }, (_, i) => `x${i}`), ...(label ? ['label'] : [])];
  const lines = [header.join(',')];
  for (let i = 0; i < params.rows; i++) {
    const values = Array.from({ length: params.features }, () => Math.random().toFixed(8));
    lines.push([...(id ? [String(i)] : []), ...values, ...(label ? [String(i % 2)] : [])].join(','));
  }
  return lines.join('\n') + '\n';
}

/** True when `reason` holds any 8-byte piece of `data` (or of its hex or base64): a reason the buyer reads must carry none of it. */
export function echoes(reason: string, data: string): boolean {
  const forms = [data, Buffer.from(data).toString('hex'), Buffer.from(data).toString('base64')];
  for (const f of forms) for (let i = 0; i + 8 <= f.length; i += 4) if (reason.includes(f.slice(i, i + 8))) return true;
  return false;
}
