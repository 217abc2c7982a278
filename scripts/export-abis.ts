// `npm run abi`: after `forge build`, writes the SDK's generated ABIs and bytecode.
import { writeFile } from 'node:fs/promises';
import { renderContractSources } from '../sdk/src/contracts/codegen.js';

const root = new URL('..', import.meta.url).pathname;
const { abis, bytecode } = await renderContractSources({ outDir: `${root}contracts/out` });
const dir = `${root}sdk/src/contracts/generated`;
await writeFile(`${dir}/abis.ts`, abis);
await writeFile(`${dir}/bytecode.ts`, bytecode);
console.log(`wrote ${dir}/abis.ts and bytecode.ts`);
