/**
 * Job input staging on the real parts: the SDK's Helia node under the provider's storage
 * adapter, the crypto adapter with an X25519 key pair, the input cache on disk and
 * prepareWorkspace, with the dataset already in the provider's blockstore (as a pin leaves it).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStorageNode, encryptStream, generateContentKey, generateKeyPair, sealKey, type StorageNode } from '@cove/sdk';
import { createCryptoAdapter } from '../adapters/crypto.js';
import { createStorageAdapter } from '../adapters/storage.js';
import type { StoragePort } from '../ports.js';
import { createInputCache, type InputCache } from '../usecases/inputCache.js';
import { prepareWorkspace } from '../usecases/jobSteps.js';
import type { StoredJobSpec } from '../usecases/startCompute.js';
import { BUNDLE, SPEC } from '../testing/scenario.js';

const MiB = 1024 * 1024;
/** Large enough that the exporter's walk (which queued every block) grew RSS by about 500 MiB here. */
const LARGE = 384 * MiB;
/** The growth allowed while it is fetched and decrypted: the streaming walk measured about 60 MiB. */
const RSS_BOUND = 192 * MiB;

const keyPair = generateKeyPair();
let dir: string;
let node: StorageNode;
let cats: string[];
let storage: StoragePort;
const crypto = createCryptoAdapter({ keyPair });

/** A plaintext of `bytes` (a repeated pattern, quick to make), encrypted under a fresh key and stored. */
async function dataset(bytes: number, seed: number) {
  const piece = Buffer.alloc(MiB, seed);
  const hash = createHash('sha256');
  async function* plain() {
    for (let left = bytes; left > 0; left -= MiB) {
      const chunk = left >= MiB ? piece : piece.subarray(0, left);
      hash.update(chunk);
      yield chunk;
    }
  }
  const key = generateContentKey();
  const encryptedContentCid = await node.add(encryptStream(plain(), { key }));
  return { key, encryptedContentCid, contentHash: '0x' + hash.digest('hex'), sealedKey: sealKey({ key, recipientPublicKey: keyPair.publicKey }) };
}

function spec(assetId: string, d: { encryptedContentCid: string; contentHash: string; sealedKey: string }): StoredJobSpec {
  const request = { algorithm: { ...SPEC } } as unknown as StoredJobSpec['request'];
  return { request, inlineCode: Buffer.from(BUNDLE).toString('base64'), datasets: [{ assetId, orderId: '0x' + '01'.repeat(32), fileName: 'data.bin', ...d }] } as unknown as StoredJobSpec;
}

async function stage(jobId: string, s: StoredJobSpec, inputCache?: InputCache) {
  const workspace = join(dir, 'jobs', jobId);
  await prepareWorkspace({ storage, crypto, maxCodeBytes: MiB, inputCache }, { workspace, spec: s });
  return join(workspace, 'inputs', s.datasets[0]!.assetId, 'data.bin');
}

async function sha256File(path: string): Promise<string> {
  return '0x' + createHash('sha256').update(await readFile(path)).digest('hex');
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cove-input-'));
  node = await createStorageNode({ directory: join(dir, 'ipfs') });
  const real = createStorageAdapter({ node });
  cats = [];
  storage = { ...real, cat: (cid, o) => (cats.push(cid), real.cat(cid, o)) };
});
after(async () => {
  await node?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('job input staging', () => {
  it(`decrypts a ${LARGE / MiB} MiB dataset into the workspace with RSS growth under ${RSS_BOUND / MiB} MiB`, async () => {
    const d = await dataset(LARGE, 7);
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 100));
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    let path: string;
    try {
      path = await stage('large', spec('1', d));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const seconds = (performance.now() - started) / 1000;
    const growth = peak - base;
    console.log(`staged ${LARGE / MiB} MiB in ${seconds.toFixed(1)} s (${(LARGE / MiB / seconds).toFixed(0)} MiB/s), RSS +${(growth / MiB).toFixed(0)} MiB`);
    assert.equal((await stat(path)).size, LARGE);
    assert.ok(growth < RSS_BOUND, `RSS grew ${(growth / MiB).toFixed(0)} MiB`);
  });

  describe('with the input cache', () => {
    const cacheDir = () => join(dir, 'input-cache');
    let cache: InputCache;
    let a: Awaited<ReturnType<typeof dataset>>;
    before(async () => {
      cache = createInputCache({ dir: cacheDir(), maxBytes: 64 * MiB });
      a = await dataset(3 * MiB + 5, 1);
    });

    it('a second job on the same dataset neither fetches nor decrypts it, and gets a read-only copy', async () => {
      cats.length = 0;
      const first = await stage('a1', spec('10', a), cache);
      assert.deepEqual(cats.filter((c) => c === a.encryptedContentCid).length, 1);
      const second = await stage('a2', spec('10', a), cache);
      assert.deepEqual(cats.filter((c) => c === a.encryptedContentCid).length, 1, 'the second job fetched the dataset again');
      assert.equal(await sha256File(second), a.contentHash);
      assert.equal((await stat(second)).mode & 0o777, 0o444);
      assert.equal((await stat(first)).ino, (await stat(second)).ino); // one inode, never writable by a job (its mount is read-only)
      // the first job's workspace going away leaves the cache whole
      await rm(join(dir, 'jobs', 'a1'), { recursive: true });
      assert.equal(await sha256File(await stage('a3', spec('10', a), cache)), a.contentHash);
      assert.deepEqual({ hits: cache.stats().hits, misses: cache.stats().misses }, { hits: 2, misses: 1 });
    });

    it('another asset of the same plaintext (another key and ciphertext) does not hit the cache', async () => {
      const b = await dataset(3 * MiB + 5, 1);
      assert.equal(b.contentHash, a.contentHash);
      cats.length = 0;
      const path = await stage('b1', spec('11', b), cache);
      assert.deepEqual(cats.filter((c) => c === b.encryptedContentCid).length, 1);
      assert.equal(await sha256File(path), b.contentHash);
      assert.notEqual((await stat(path)).ino, (await stat(join(dir, 'jobs', 'a3', 'inputs', '10', 'data.bin'))).ino);
    });

    it("naming a cached asset's ciphertext and content hash with another key gets nothing of it", async () => {
      const attacker = generateContentKey();
      const forged = { encryptedContentCid: a.encryptedContentCid, contentHash: a.contentHash, sealedKey: sealKey({ key: attacker, recipientPublicKey: keyPair.publicKey }) };
      const before = cache.stats().hits;
      await assert.rejects(stage('evil', spec('12', forged), cache), { code: 'ENVELOPE_BAD_KEY' });
      assert.equal(cache.stats().hits, before);
      await assert.rejects(stat(join(dir, 'jobs', 'evil', 'inputs', '12', 'data.bin')), { code: 'ENOENT' });
    });
  });
});
