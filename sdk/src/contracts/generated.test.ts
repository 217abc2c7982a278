import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { renderContractTypes } from '../../../scripts/contract-types.js';
import { renderContractSources } from './codegen.js';

const root = new URL('../../../', import.meta.url);

test('committed ABIs and bytecode match the current forge build (run `npm run abi` when this fails)', async () => {
  const fresh = await renderContractSources({ outDir: new URL('contracts/out', root).pathname });
  const abis = await readFile(new URL('sdk/src/contracts/generated/abis.ts', root), 'utf8');
  const bytecode = await readFile(new URL('sdk/src/contracts/generated/bytecode.ts', root), 'utf8');
  assert.ok(abis === fresh.abis, 'sdk/src/contracts/generated/abis.ts is stale');
  assert.ok(bytecode === fresh.bytecode, 'sdk/src/contracts/generated/bytecode.ts is stale');
});

test('committed typed contract interfaces match TypeChain on the current ABIs (run `npm run abi` when this fails)', async () => {
  const fresh = await renderContractTypes({ outDir: new URL('contracts/out', root).pathname });
  const dir = new URL('sdk/src/contracts/typechain/', root);
  assert.deepEqual((await readdir(dir)).sort(), [...fresh.keys()]);
  for (const [name, text] of fresh) assert.ok((await readFile(new URL(name, dir), 'utf8')) === text, `sdk/src/contracts/typechain/${name} is stale`);
});
