import { describe, it, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listingHash } from '../actions/audit/hashes.js';
import { isCoveError } from '../errors.js';
import { bundleHeader, extractBundle, listBundle, packBundle, packBundleBytes } from './bundle.js';
import { checkResultFiles } from './verify.js';
import { writeDirAtomically } from './atomic.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of source) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

test('packs files deterministically and extracts them with their hashes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cove-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'b.bin'), Buffer.alloc(1000, 1));
  await writeFile(join(dir, 'a.json'), '{}');
  const long = 'deep/'.repeat(25) + 'x.txt';
  const entries = [{ path: 'b.bin', file: join(dir, 'b.bin') }, { path: 'a.json', file: join(dir, 'a.json') }, { path: long, file: join(dir, 'a.json') }];
  const one = await collect(packBundle(entries));
  const two = await collect(packBundle([...entries].reverse()));
  assert.ok(one.equals(two));
  assert.equal(one.byteLength % 512, 0);
  const out = join(dir, 'out');
  await mkdir(out);
  const files = await extractBundle({ source: [one], dir: out });
  assert.deepEqual(files.map((f) => f.path), ['a.json', 'b.bin', long]);
  assert.equal(files[1]!.sha256, sha(Buffer.alloc(1000, 1)));
  assert.equal(await readFile(join(out, ...long.split('/')), 'utf8'), '{}');
});

test('refuses unsafe paths, other entry types, truncation and trailing bytes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cove-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const entry = (path: string, body: string, type = '0') => {
    const h = bundleHeader('x', body.length);
    h.fill(0, 0, 100).write(path, 0, 'utf8');
    h.write(type, 156, 'ascii');
    let sum = 0;
    h.fill(0x20, 148, 156);
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
    return Buffer.concat([h, Buffer.from(body), pad]);
  };
  const end = Buffer.alloc(1024);
  let n = 0;
  const attempt = async (bytes: Buffer) => {
    const out = join(dir, String(n++));
    await mkdir(out);
    return extractBundle({ source: [bytes], dir: out });
  };
  const bad = (e: unknown) => isCoveError(e, 'RESULT_BUNDLE_INVALID');
  await assert.rejects(attempt(Buffer.concat([entry('../evil', 'x'), end])), bad);
  await assert.rejects(attempt(Buffer.concat([entry('/etc/passwd', 'x'), end])), bad);
  await assert.rejects(attempt(Buffer.concat([entry('link', '', '2'), end])), bad);
  await assert.rejects(attempt(Buffer.concat([entry('a', 'x'), entry('a', 'y'), end])), bad);
  await assert.rejects(attempt(Buffer.concat([entry('a', 'hello')]).subarray(0, 515)), bad);
  await assert.rejects(attempt(Buffer.concat([entry('a', 'x'), end, Buffer.from('junk')])), bad);
  const flipped = Buffer.concat([entry('a', 'x'), end]);
  flipped[10] = 0x41;
  await assert.rejects(attempt(flipped), bad);
  await assert.rejects(extractBundle({ source: [Buffer.concat([entry('a', 'hello'), end])], dir: join(dir, 'cap'), maxBytes: 4 }), bad);
  // Zero padding is fine up to a bound, not forever (a bundle by CID could be gigabytes of it).
  await attempt(Buffer.concat([entry('a', 'x'), end, Buffer.alloc(10240)]));
  await assert.rejects(attempt(Buffer.concat([entry('a', 'x'), end, Buffer.alloc(256 * 1024)])), bad);
  await assert.rejects(listBundle({ source: [Buffer.concat([entry('a', 'x'), entry('b', 'y'), end])], maxFiles: 1 }), bad);
  // A file and a directory of one name, either order: unextractable, so refused while listing.
  await assert.rejects(listBundle({ source: [Buffer.concat([entry('lib', 'x'), entry('lib/a.py', 'y'), end])] }), bad);
  await assert.rejects(listBundle({ source: [Buffer.concat([entry('lib/a.py', 'y'), entry('lib', 'x'), end])] }), bad);
});

test('result files must match the manifest and the on-chain outputsHash', () => {
  const files = [{ path: 'm.json', size: 2, sha256: sha('{}') }];
  const outputsHash = listingHash(files);
  const ok = { extracted: files, manifest: { files, outputsHash }, receipt: { outputsHash, resultCid: 'bafy', status: 0 }, resultCid: 'bafy' };
  checkResultFiles(ok);
  const mismatch = (e: unknown) => isCoveError(e, 'RESULT_MISMATCH');
  assert.throws(() => checkResultFiles({ ...ok, extracted: [{ ...files[0]!, sha256: sha('{ }') }] }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, extracted: [...files, { path: 'extra', size: 0, sha256: sha('') }] }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, extracted: [] }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, receipt: { ...ok.receipt, outputsHash: '0x' + '00'.repeat(32) } }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, receipt: { ...ok.receipt, resultCid: 'bafz' } }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, receipt: { ...ok.receipt, status: 1 } }), mismatch);
  assert.throws(() => checkResultFiles({ ...ok, manifest: { files, outputsHash: '0x' + '11'.repeat(32) }, receipt: { ...ok.receipt, outputsHash: '0x' + '11'.repeat(32) } }), mismatch);
});

test('a failed fill leaves no directory behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cove-atomic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(writeDirAtomically(join(dir, 'out'), async (tmp) => {
    await writeFile(join(tmp, 'half'), 'x');
    throw new Error('boom');
  }));
  assert.deepEqual(await readdir(dir), []);
  await writeDirAtomically(join(dir, 'out'), (tmp) => writeFile(join(tmp, 'whole'), 'x'));
  assert.deepEqual(await readdir(join(dir, 'out')), ['whole']);
});

describe('packBundleBytes', () => {
  it('writes an archive the system tar unpacks to the same files, long paths included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-tar-'));
    try {
      const long = 'deep/'.repeat(30) + 'file.txt';
      const files = new Map<string, Uint8Array>([
        ['metrics.json', Buffer.from('{"a":1}\n')],
        ['model.pkl', Buffer.alloc(1000, 7)],
        ['empty', Buffer.alloc(0)],
        [long, Buffer.from('x')],
      ]);
      writeFileSync(join(dir, 'b.tar'), packBundleBytes(files));
      execFileSync('tar', ['-xf', 'b.tar'], { cwd: dir });
      for (const [path, data] of files) assert.deepEqual(readFileSync(join(dir, path)), Buffer.from(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same bytes for the same files in any insertion order, and the same bytes as packBundle', async () => {
    const a = packBundleBytes(new Map([['a', Buffer.from('1')], ['b/c', Buffer.alloc(700, 3)]]));
    const b = packBundleBytes(new Map([['b/c', Buffer.alloc(700, 3)], ['a', Buffer.from('1')]]));
    assert.deepEqual(a, b);
    const dir = mkdtempSync(join(tmpdir(), 'cove-tar-'));
    try {
      writeFileSync(join(dir, 'a'), '1');
      writeFileSync(join(dir, 'c'), Buffer.alloc(700, 3));
      const streamed: Uint8Array[] = [];
      for await (const chunk of packBundle([{ path: 'b/c', file: join(dir, 'c') }, { path: 'a', file: join(dir, 'a') }])) streamed.push(chunk);
      assert.deepEqual(Buffer.concat(streamed), a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path that escapes the bundle', () => {
    assert.throws(() => packBundleBytes(new Map([['../x', Buffer.from('1')]])), { code: 'INVALID_PARAMS' });
  });
});
