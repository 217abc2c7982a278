import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { renderContractSources } from './codegen.js';

const root = new URL('../../../', import.meta.url);

test('committed ABIs and bytecode match the current forge build (run `npm run abi` when this fails)', async () => {
  const fresh = await renderContractSources({ outDir: new URL('contracts/out', root).pathname });
  const abis = await readFile(new URL('sdk/src/contracts/generated/abis.ts', root), 'utf8');
  const bytecode = await readFile(new URL('sdk/src/contracts/generated/bytecode.ts', root), 'utf8');
  assert.ok(abis === fresh.abis, 'sdk/src/contracts/generated/abis.ts is stale');
  assert.ok(bytecode === fresh.bytecode, 'sdk/src/contracts/generated/bytecode.ts is stale');
});
