// `npm run abi`: after `forge build`, writes the SDK's generated ABIs, bytecode and typed contract interfaces.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { renderContractSources } from '../sdk/src/contracts/codegen.js';
import { renderContractTypes } from './contract-types.js';

const root = new URL('..', import.meta.url).pathname;
const { abis, bytecode } = await renderContractSources({ outDir: `${root}contracts/out` });
const dir = `${root}sdk/src/contracts/generated`;
await writeFile(`${dir}/abis.ts`, abis);
await writeFile(`${dir}/bytecode.ts`, bytecode);
console.log(`wrote ${dir}/abis.ts and bytecode.ts`);
const typesDir = `${root}sdk/src/contracts/typechain`;
await rm(typesDir, { recursive: true, force: true });
await mkdir(typesDir, { recursive: true });
for (const [name, text] of await renderContractTypes({ outDir: `${root}contracts/out` })) await writeFile(`${typesDir}/${name}`, text);
console.log(`wrote ${typesDir}/`);
