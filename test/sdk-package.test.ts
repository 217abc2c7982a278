/**
 * `@cove/sdk` as a package: built to JavaScript with declarations, packed with `npm pack`,
 * installed into a fresh project and used from plain Node 24 (no tsx, no workspace) — the
 * library, its types under `tsc --strict`, and the `cove` bin.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canonicalJson as workspaceCanonicalJson } from '@cove/sdk';
import { buildSdk } from '../sdk/scripts/build.js';
import { ROOT } from './lib/world.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let dir: string;
let app: string;
let files: string[];

/** Runs `node <args>` with the pinned Node and no loader inherited from the test runner. */
const node = (args: string[], cwd: string) => run(process.execPath, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 << 20 });
/** Runs npm as a user would, the pinned Node first on PATH. */
const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: { ...process.env, NODE_OPTIONS: '', PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` }, maxBuffer: 16 << 20 });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-sdk-package-'));
  const dist = await buildSdk();
  const packed = await npm(['pack', dist, '--pack-destination', dir, '--json'], ROOT);
  const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
  files = info.files.map((f) => f.path);
  app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
  await npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(dir, info.filename)], app);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('@cove/sdk as an npm package', () => {
  test('the tarball holds compiled JavaScript and declarations only: no TypeScript sources, tests or test helpers', () => {
    assert.ok(files.includes('src/index.js') && files.includes('src/index.d.ts') && files.includes('bin/cove.js'), files.slice(0, 10).join(', '));
    const offending = files.filter((f) => (f.endsWith('.ts') && !f.endsWith('.d.ts')) || /\.test\.|\/testing\/|\/test-[^/]*$/.test(f));
    assert.deepEqual(offending, []);
  });

  test('plain Node 24 imports it and its functions give the same answers as the workspace sources', async () => {
    const value = { b: [1, 'two', { d: null, c: true }], a: 'x' };
    await writeFile(
      join(app, 'main.mjs'),
      `import * as sdk from '@cove/sdk';
const { canonicalJson, encryptStream, decryptStream, generateContentKey, CoveError } = sdk;
const key = generateContentKey();
const plain = Buffer.from('rows of data that never leave');
const sealed = []; for await (const c of encryptStream([plain], { key })) sealed.push(c);
const opened = []; for await (const c of decryptStream(sealed, { key })) opened.push(c);
process.stdout.write(JSON.stringify({
  canonical: canonicalJson(${JSON.stringify(value)}),
  roundTrip: Buffer.concat(opened).equals(plain),
  errorCode: new CoveError('X_CODE', 'm').code,
  exports: Object.keys(sdk).length,
  loader: process.execArgv.join(' '),
}));
`,
    );
    const out = JSON.parse((await node(['main.mjs'], app)).stdout) as { canonical: string; roundTrip: boolean; errorCode: string; exports: number; loader: string };
    assert.equal(out.canonical, workspaceCanonicalJson(value));
    assert.equal(out.roundTrip, true);
    assert.equal(out.errorCode, 'X_CODE');
    assert.ok(out.exports > 100, `${out.exports} exports`);
    assert.equal(out.loader, '', 'no TypeScript loader');
  });

  test('its declarations type-check the README example under tsc --strict, and a wrong call is a type error', async () => {
    const readme = await readFile(join(ROOT, 'sdk', 'README.md'), 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(example !== undefined, 'a ts example in sdk/README.md');
    await writeFile(join(app, 'example.ts'), `${example}\nexport {};\n`);
    await writeFile(join(app, 'wrong.ts'), `import { verifyJob } from '@cove/sdk';\nexport const v = verifyJob(undefined as never, { jobId: 42 });\n`);
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2024', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] }, files: ['example.ts'] }),
    );
    await node([TSC, '-p', 'tsconfig.json'], app);
    const wrong = await node([TSC, '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2024', '--skipLibCheck', '--types', 'node', '--typeRoots', join(ROOT, 'node_modules', '@types'), 'wrong.ts'], app).then(
      () => assert.fail('a number for jobId compiled'),
      (err: { stdout: string }) => err.stdout,
    );
    assert.match(wrong, /wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
  });

  test('the installed cove bin runs without tsx: --version is the package version, --help lists the commands', async () => {
    const bin = join(app, 'node_modules', '@cove', 'sdk', 'bin', 'cove.js');
    const { version } = JSON.parse(await readFile(join(ROOT, 'sdk', 'package.json'), 'utf8')) as { version: string };
    assert.equal((await node([bin, '--version'], app)).stdout.trim(), version);
    assert.match((await node([bin, '--help'], app)).stdout, /publish[\s\S]*compute[\s\S]*audit/);
  });
});
