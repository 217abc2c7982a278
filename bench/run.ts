import { mkdir, writeFile } from 'node:fs/promises';
import { formatTable, type BenchRow, type BenchSuite } from './lib.js';
import { toolchain } from './toolchain.js';
import { dataplane } from './dataplane.js';
import { runner } from './runner.js';
import { contracts } from './contracts.js';
import { audit } from './audit.js';
import { provider } from './provider.js';
import { actions } from './actions.js';
import { e2e } from './e2e.js';
import { scale } from './scale.js';

/**
 * `npm run bench [suite…]`: runs the suites (all but the named-only ones by default), prints a
 * table and writes the rows to bench/results.json (or $COVE_BENCH_OUT).
 */
const suites: BenchSuite[] = [toolchain, dataplane, runner, contracts, audit, provider, actions, e2e, scale];
/** Suites run only when named: `scale` writes gigabytes and takes minutes. */
const namedOnly = new Set(['scale']);
const wanted = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const suite of suites) {
  if (wanted.length > 0 ? !wanted.includes(suite.name) : namedOnly.has(suite.name)) continue;
  process.stderr.write(`bench: ${suite.name}…\n`);
  rows.push(...(await suite.run()));
}
const out = process.env.COVE_BENCH_OUT ?? new URL('./results.json', import.meta.url).pathname;
await mkdir(new URL('.', `file://${out}`).pathname, { recursive: true });
await writeFile(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2));
console.log(formatTable(rows));
console.log(`\nwritten to ${out}`);
