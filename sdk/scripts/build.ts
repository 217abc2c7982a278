/**
 * Builds `@cove/sdk` as a package for plain Node: `sdk/dist/` holds the compiled JavaScript
 * with type declarations (`src/**`), a `package.json` whose exports and `cove` bin point at
 * them, and the README. `npm pack ./sdk/dist` then makes the tarball. The workspace itself
 * keeps running the TypeScript sources through tsx; only the package is compiled.
 *
 * Usage: `npm run build -w sdk` (or `tsx sdk/scripts/build.ts`).
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(SDK, 'dist');

type Manifest = { name: string; version: string; description?: string; license?: string; dependencies: Record<string, string>; engines?: Record<string, string> };

// The `cove` command of the package: the same Node check as the workspace's bin, then the compiled CLI.
const BIN = `#!/usr/bin/env node
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(\`cove: UNSUPPORTED_NODE: cove needs Node 24 or newer; this is Node \${process.versions.node} (\${process.execPath})\\n\`);
  process.exit(1);
}
await import('../src/cli/main.js');
`;

/** Compiles the SDK into `sdk/dist` and writes the package manifest; returns the dist directory. */
export async function buildSdk(): Promise<string> {
  await rm(DIST, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(SDK, 'tsconfig.build.json')], { stdio: 'inherit' });
  const source = JSON.parse(await readFile(join(SDK, 'package.json'), 'utf8')) as Manifest;
  const manifest = {
    name: source.name,
    version: source.version,
    description: 'Cove SDK and the `cove` CLI: publish encrypted datasets, run compute-to-data jobs, audit receipts on-chain.',
    license: 'Apache-2.0',
    type: 'module',
    engines: { node: '>=24' },
    exports: { '.': { types: './src/index.d.ts', default: './src/index.js' } },
    types: './src/index.d.ts',
    bin: { cove: './bin/cove.js' },
    files: ['src', 'bin', 'README.md'],
    dependencies: source.dependencies,
  };
  await writeFile(join(DIST, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  await mkdir(join(DIST, 'bin'), { recursive: true });
  await writeFile(join(DIST, 'bin', 'cove.js'), BIN, { mode: 0o755 });
  await cp(join(SDK, 'README.md'), join(DIST, 'README.md'));
  return DIST;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dist = await buildSdk();
  process.stdout.write(`built ${dist} (npm pack ${dist})\n`);
}
