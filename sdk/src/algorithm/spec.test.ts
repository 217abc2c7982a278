import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCoveError } from '../errors.js';
import { algorithmCodeHash } from '../provider-api/typedData.js';
import { listBundle } from '../results/bundle.js';
import { listingHash } from '../actions/audit/hashes.js';
import { bundleDirectory, bundleFiles } from './bundle.js';
import { prepareAlgorithm } from './prepare.js';
import { algorithmHash, canonicalAlgorithmSpec, normalizeAlgorithmSpec, parseAlgorithmSpec, type AlgorithmSpec } from './spec.js';

const IMAGE = `sha256:${'a'.repeat(64)}`;
const CODE = `0x${'b'.repeat(64)}`;
const base = () => normalizeAlgorithmSpec({ image: IMAGE, codeHash: CODE, command: ['python3', '/data/transformations/algorithm/train.py'], env: ['EPOCHS=3'] });

describe('algorithm spec', () => {
  it('hashes the documented test vector (docs/algorithm-spec.md) over the canonical bytes', () => {
    const spec = base();
    const canonical = canonicalAlgorithmSpec(spec);
    assert.equal(
      canonical,
      `{"codeHash":"${CODE}","command":["python3","/data/transformations/algorithm/train.py"],"entrypoint":[],"env":["EPOCHS=3"],"image":"${IMAGE}","kind":"cove-algorithm","user":"1000:1000","version":1,"workingDir":"/tmp"}`,
    );
    assert.equal(algorithmHash(spec), '0x6cde0a8e412ea0ad074a9faf74faee1ffe03d5b8f5168d5eb139cf1f2189bc71');
    assert.equal(algorithmHash(spec), `0x${createHash('sha256').update(canonical).digest('hex')}`);
  });

  it('fills defaults (no entrypoint, /tmp, no env, 1000:1000), sorts env and lowercases the image and code hash', () => {
    const spec = normalizeAlgorithmSpec({ image: IMAGE.toUpperCase().replace('SHA256', 'sha256'), codeHash: CODE.toUpperCase().replace('0X', '0x'), command: ['node', 'x.js'], env: ['B=2', 'A=1'] });
    assert.deepEqual(spec, { image: IMAGE, codeHash: CODE, entrypoint: [], command: ['node', 'x.js'], workingDir: '/tmp', env: ['A=1', 'B=2'], user: '1000:1000' });
  });

  it('gives every field its own hash: a change anywhere is another algorithm', () => {
    const changes: Partial<AlgorithmSpec>[] = [
      { image: `sha256:${'c'.repeat(64)}` },
      { codeHash: `0x${'d'.repeat(64)}` },
      { entrypoint: ['/bin/sh', '-c'] },
      { command: ['python3', '-c', 'print(1)'] },
      { workingDir: '/data/outputs' },
      { env: ['EPOCHS=4'] },
      { user: '1001:1001' },
      // Moving an argument between entrypoint and command is a different container too.
      { entrypoint: ['python3'], command: ['/data/transformations/algorithm/train.py'] },
    ];
    const hashes = new Set([algorithmHash(base()), ...changes.map((c) => algorithmHash({ ...base(), ...c }))]);
    assert.equal(hashes.size, changes.length + 1);
  });

  it('escapes strings as JSON does, so non-ASCII and control characters hash reproducibly', () => {
    const spec = { ...base(), env: ['GREETING=héllo\tworld "q" \\ \u007f'] };
    assert.match(canonicalAlgorithmSpec(spec), /"env":\["GREETING=héllo\\tworld \\"q\\" \\\\ \u007f"\]/);
  });

  it('parses the canonical file and a bare spec alike, and refuses other kinds or versions', () => {
    const spec = base();
    assert.deepEqual(parseAlgorithmSpec(JSON.parse(canonicalAlgorithmSpec(spec))), spec);
    assert.deepEqual(parseAlgorithmSpec(spec), spec);
    for (const bad of [{ ...spec, kind: 'other', version: 1 }, { ...spec, kind: 'cove-algorithm', version: 2 }, { ...spec, extra: 1 }, [spec], null]) {
      assert.throws(() => parseAlgorithmSpec(bad), (e) => isCoveError(e, 'INVALID_PARAMS'));
    }
  });

  const invalid: [string, Partial<AlgorithmSpec>][] = [
    ['an image reference', { image: 'python:3.12' }],
    ['root', { user: '0:0' }],
    ['the root group', { user: '1000:0' }],
    ['a named user', { user: 'root' }],
    ['a COVE_ variable', { env: ['COVE_INPUTS=/'] }],
    ['a lower-case cove_ variable', { env: ['cove_inputs=/'] }],
    ['a duplicate variable', { env: ['A=1', 'A=2'] }],
    ['an entry without =', { env: ['A'] }],
    ['a NUL in the command', { command: ['a\0b'] }],
    ['a lone surrogate', { command: ['\ud800'] }],
    ['an empty command', { command: [] }],
    ['a working dir outside the job', { workingDir: '/etc' }],
    ['a working dir escaping the algorithm dir', { workingDir: '/data/transformations/algorithm/../../inputs' }],
    ['too many arguments', { command: Array.from({ length: 65 }, () => 'x') }],
  ];
  for (const [what, change] of invalid) {
    it(`refuses ${what} with INVALID_PARAMS`, () => {
      assert.throws(() => normalizeAlgorithmSpec({ ...base(), ...change }), (e) => isCoveError(e, 'INVALID_PARAMS'));
    });
  }
});

describe('algorithm bundle', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-bundle-'));
    await mkdir(join(dir, 'train', 'lib'), { recursive: true });
    await writeFile(join(dir, 'train', 'main.py'), 'from lib.helper import f\n');
    await writeFile(join(dir, 'train', 'lib', 'helper.py'), 'def f(): return 1\n');
    await writeFile(join(dir, 'train', 'requirements.txt'), 'numpy\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('bundles a directory deterministically; its codeHash is the listing of what the tar holds', async () => {
    const a = await bundleDirectory(join(dir, 'train'));
    const b = await bundleDirectory(join(dir, 'train'));
    assert.deepEqual(a.bytes, b.bytes);
    assert.deepEqual(a.files.map((f) => f.path), ['lib/helper.py', 'main.py', 'requirements.txt']);
    const listed = await listBundle({ source: [a.bytes] });
    assert.deepEqual(listed.map((f) => f.path), a.files.map((f) => f.path));
    assert.equal(a.codeHash, listingHash(listed));
  });

  it('gives a one-file bundle the code hash of that file', () => {
    const code = Buffer.from('print(1)\n');
    assert.equal(bundleFiles(new Map([['train.py', code]])).codeHash, algorithmCodeHash({ fileName: 'train.py', code }));
  });

  it('refuses a symlink, a missing path and unsafe names', async () => {
    await symlink('/etc/passwd', join(dir, 'train', 'lib', 'passwd'));
    try {
      await assert.rejects(bundleDirectory(join(dir, 'train')), (e) => isCoveError(e, 'INVALID_PARAMS'));
    } finally {
      await rm(join(dir, 'train', 'lib', 'passwd'));
    }
    await assert.rejects(bundleDirectory(join(dir, 'nope')), (e) => isCoveError(e, 'INVALID_PARAMS'));
    assert.throws(() => bundleFiles(new Map([['../x', Buffer.from('x')]])), (e) => isCoveError(e, 'INVALID_PARAMS'));
  });

  it('prepares a directory algorithm: needs a command, resolves nothing without a provider for a reference', async () => {
    await assert.rejects(prepareAlgorithm(undefined, { image: IMAGE, file: join(dir, 'train') }), (e) => isCoveError(e, 'INVALID_PARAMS'));
    const p = await prepareAlgorithm(undefined, { image: IMAGE, file: join(dir, 'train'), command: ['python3', '/data/transformations/algorithm/main.py'] });
    assert.equal(p.spec.codeHash, (await bundleDirectory(join(dir, 'train'))).codeHash);
    assert.equal(p.algorithmHash, algorithmHash(p.spec));
    await assert.rejects(prepareAlgorithm(undefined, { image: 'cove/python-sklearn:12', file: join(dir, 'train', 'main.py') }), (e) => isCoveError(e, 'INVALID_PARAMS'));
    await prepareAlgorithm(undefined, { image: IMAGE, file: join(dir, 'train'), command: ['python3', 'main.py'], workingDir: '/data/transformations/algorithm/lib' });
    await assert.rejects(prepareAlgorithm(undefined, { image: IMAGE, file: join(dir, 'train'), command: ['python3', 'main.py'], workingDir: '/data/transformations/algorithm/src' }), (e) => isCoveError(e, 'INVALID_PARAMS'));
    const one = await prepareAlgorithm(undefined, { image: IMAGE, file: join(dir, 'train', 'main.py') });
    assert.deepEqual(one.spec.command, ['python3', '/data/transformations/algorithm/main.py']);
  });
});
