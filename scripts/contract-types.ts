/**
 * Typed contract interfaces for the SDK, generated from forge's ABIs by TypeChain (ethers-v6
 * target): `sdk/src/contracts/typechain/`. Only the interface types are kept — the ABIs and
 * bytecode the SDK ships stay in `generated/` (one definition each), and `getDataNft(…)` and
 * the other getters give their contracts these types. Written by `npm run abi`; a unit test
 * checks the committed files against a fresh run.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTypeChain } from 'typechain';
import { EXPORTED_CONTRACTS } from '../sdk/src/contracts/codegen.js';

/** Renders the typings of every exported contract: file name → contents. */
export async function renderContractTypes(params: { outDir: string }): Promise<Map<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-typechain-'));
  try {
    const files = EXPORTED_CONTRACTS.map(({ name }) => join(params.outDir, `${name}.sol`, `${name}.json`));
    await runTypeChain({ cwd: dir, filesToProcess: files, allFiles: files, inputDir: params.outDir, outDir: dir, target: 'ethers-v6', flags: { node16Modules: true, alwaysGenerateOverloads: false, discriminateTypes: false, environment: undefined } });
    const out = new Map<string, string>();
    for (const name of (await readdir(dir)).sort()) {
      if (!name.endsWith('.ts')) continue;
      let text = await readFile(join(dir, name), 'utf8');
      if (name === 'index.ts') text = text.split('\n').filter((l) => !l.includes('factories')).join('\n');
      out.set(name, text);
    }
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
