import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createInputCache, inputCacheId, type InputCacheKey } from './inputCache.js';

const sha = (b: Uint8Array) => '0x' + createHash('sha256').update(b).digest('hex');

describe('input cache', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-input-cache-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A plaintext file in the "workspace" and its cache key. */
  async function input(bytes: Uint8Array, over: Partial<InputCacheKey> = {}): Promise<{ path: string; key: InputCacheKey }> {
    const path = join(dir, `ws-${n++}`);
    await writeFile(path, bytes);
    return { path, key: { encryptedContentCid: 'bafy-cipher-a', contentHash: sha(bytes), contentKey: new Uint8Array(32).fill(1), ...over } };
  }

  it('names an entry by the anchored ciphertext, content hash and content key together', () => {
    const base: InputCacheKey = { encryptedContentCid: 'bafy-a', contentHash: '0x' + '11'.repeat(32), contentKey: new Uint8Array(32).fill(7) };
    const ids = [
      base,
      { ...base, encryptedContentCid: 'bafy-b' },
      { ...base, contentHash: '0x' + '22'.repeat(32) },
      { ...base, contentKey: new Uint8Array(32).fill(8) },
    ].map(inputCacheId);
    assert.equal(new Set(ids).size, 4);
    assert.equal(inputCacheId({ ...base, contentHash: base.contentHash.toUpperCase().replace('0X', '0x') }), ids[0]);
    assert.ok(!ids[0]!.includes(Buffer.from(base.contentKey).toString('hex')));
  });

  it('gives a later job a read-only copy of a kept input, and only for the same key', async () => {
    const cache = createInputCache({ dir: join(dir, 'c1'), maxBytes: 1024 * 1024 });
    const bytes = randomBytes(4096);
    const first = await input(bytes);
    assert.equal(await cache.take(first.key, join(dir, 'miss')), false);
    await cache.keep(first.key, first.path);
    const dest = join(dir, 'hit');
    assert.equal(await cache.take(first.key, dest), true);
    assert.deepEqual(await readFile(dest), bytes);
    assert.equal((await stat(dest)).mode & 0o777, 0o444);
    // same plaintext hash, another ciphertext or another key: a miss
    assert.equal(await cache.take({ ...first.key, encryptedContentCid: 'bafy-cipher-b' }, join(dir, 'other-cid')), false);
    assert.equal(await cache.take({ ...first.key, contentKey: new Uint8Array(32).fill(2) }, join(dir, 'other-key')), false);
    assert.deepEqual(cache.stats(), { hits: 1, misses: 3, stored: 1, evicted: 0, rejected: 0 });
  });

  it('re-hashes an entry before reuse and drops one that changed', async () => {
    const cacheDir = join(dir, 'c2');
    const cache = createInputCache({ dir: cacheDir, maxBytes: 1024 * 1024 });
    const { path, key } = await input(randomBytes(1000));
    await cache.keep(key, path);
    const [entry] = (await readdir(cacheDir)).filter((f) => !f.startsWith('.'));
    await chmod(join(cacheDir, entry!), 0o644);
    await writeFile(join(cacheDir, entry!), randomBytes(1000)); // changed on disk behind the cache
    const dest = join(dir, 'tampered');
    assert.equal(await cache.take(key, dest), false);
    await assert.rejects(stat(dest), { code: 'ENOENT' });
    assert.deepEqual(await readdir(cacheDir), []);
    assert.equal(cache.stats().rejected, 1);
  });

  it('stays within maxBytes, evicting the least recently used, and keeps nothing larger', async () => {
    const cacheDir = join(dir, 'c3');
    const cache = createInputCache({ dir: cacheDir, maxBytes: 3000 });
    const a = await input(randomBytes(1000));
    const b = await input(randomBytes(1000));
    const c = await input(randomBytes(1000));
    await cache.keep(a.key, a.path);
    await cache.keep(b.key, b.path);
    // a was used last: b is the least recently used when d arrives
    const old = new Date(Date.now() - 60_000);
    for (const f of await readdir(cacheDir)) await utimes(join(cacheDir, f), old, old);
    assert.equal(await cache.take(a.key, join(dir, 'a-again')), true);
    await cache.keep(c.key, c.path);
    const d = await input(randomBytes(1000));
    await cache.keep(d.key, d.path);
    assert.equal(await cache.take(b.key, join(dir, 'b-again')), false);
    for (const k of [a, c, d]) assert.equal(await cache.take(k.key, join(dir, `again-${n++}`)), true);
    const huge = await input(randomBytes(3001));
    await cache.keep(huge.key, huge.path);
    assert.equal(await cache.take(huge.key, join(dir, 'huge-again')), false);
    const sizes = await Promise.all((await readdir(cacheDir)).map(async (f) => (await stat(join(cacheDir, f))).size));
    assert.ok(sizes.reduce((x, y) => x + y, 0) <= 3000);
    assert.equal(cache.stats().evicted, 1);
  });

  it('is off at maxBytes 0, and a failing cache costs a fetch, never the job', async () => {
    const off = createInputCache({ dir: join(dir, 'off'), maxBytes: 0 });
    const a = await input(randomBytes(10));
    await off.keep(a.key, a.path);
    assert.equal(await off.take(a.key, join(dir, 'off-take')), false);
    await assert.rejects(stat(join(dir, 'off')), { code: 'ENOENT' });
    // the cache directory is a file: keeping and taking fail inside, and are reported as nothing kept
    const blocked = join(dir, 'blocked');
    await writeFile(blocked, 'not a directory');
    const warnings: string[] = [];
    const broken = createInputCache({ dir: blocked, maxBytes: 1024, logger: { warn: (_o, m) => warnings.push(m) } });
    await broken.keep(a.key, a.path);
    assert.equal(await broken.take(a.key, join(dir, 'broken-take')), false);
    assert.equal(warnings.length, 1);
  });
});
