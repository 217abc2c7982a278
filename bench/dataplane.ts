import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createStorageNode, decryptStream, encryptStream, generateContentKey } from '@cove/sdk';
import { against, type BenchRow, type BenchSuite } from './lib.js';
import { pinTransferRows } from './pin-transfer.js';

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
const CHUNKS = TOTAL / MiB;
const suite = 'dataplane';

/** 256 distinct 1 MiB chunks (a counter stamped into one random buffer, so no block dedupes). */
function* plaintext(): Generator<Uint8Array> {
  const base = randomBytes(MiB);
  for (let i = 0; i < CHUNKS; i++) {
    base.writeUInt32BE(i, 0);
    yield base;
  }
}

/** Throughput in MiB/s of the best of `n` runs (the host is shared; the best run is the least disturbed). */
async function throughput(n: number, bytes: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return bytes / MiB / (best / 1000);
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of source) n += c.byteLength;
  return n;
}

function rawEncrypt(algorithm: 'aes-256-gcm' | 'chacha20-poly1305', key: Buffer, withHash: boolean): void {
  const hash = withHash ? createHash('sha256') : undefined;
  for (const chunk of plaintext()) {
    hash?.update(chunk);
    const iv = randomBytes(12);
    const c = algorithm === 'aes-256-gcm' ? createCipheriv(algorithm, key, iv, { authTagLength: 16 }) : createCipheriv(algorithm, key, iv, { authTagLength: 16 });
    c.update(chunk);
    c.final();
    c.getAuthTag();
  }
  hash?.digest();
}

const row = (name: string, value: number, note?: string): BenchRow => ({ suite, name, value, unit: 'MiB/s', ...(note ? { note } : {}) });

/** Envelope crypto against raw node:crypto AEAD, then Helia add/cat and a two-node transfer, on 256 MiB; then pin throughput at 64 and 256 MiB. */
export const dataplane: BenchSuite = {
  name: 'dataplane',
  async run() {
    const dir = await mkdtemp(join(tmpdir(), 'cove-bench-dataplane-'));
    const rows: BenchRow[] = [];
    try {
      const key = generateContentKey();
      const rawKey = randomBytes(32);
      const gcm = row('raw aes-256-gcm encrypt, 1 MiB chunks', await throughput(3, TOTAL, () => rawEncrypt('aes-256-gcm', rawKey, false)), 'baseline');
      const chacha = row('raw chacha20-poly1305 encrypt, 1 MiB chunks', await throughput(3, TOTAL, () => rawEncrypt('chacha20-poly1305', rawKey, false)));
      const gcmHash = row('raw aes-256-gcm encrypt + sha256', await throughput(3, TOTAL, () => rawEncrypt('aes-256-gcm', rawKey, true)), 'the least any encrypt that hashes can cost');
      rows.push(gcm, against(chacha, gcm), against(gcmHash, gcm));

      const encrypt = row('envelope encrypt (computes contentHash)', await throughput(3, TOTAL, () => drain(encryptStream(plaintext(), { key }))));
      rows.push(against(encrypt, gcm), { ...against(encrypt, gcmHash), name: 'envelope encrypt vs raw encrypt + sha256' });

      // keep one ciphertext for the decrypt and storage figures
      const ciphertext: Uint8Array[] = [];
      for await (const c of encryptStream(plaintext(), { key })) ciphertext.push(c);
      const sealedBytes = ciphertext.reduce((n, c) => n + c.byteLength, 0);
      const tags = Array.from({ length: CHUNKS }, () => Buffer.alloc(16));
      const ivs = Array.from({ length: CHUNKS }, () => randomBytes(12));
      const sealedChunks = [...plaintext()].map((p, i) => {
        const c = createCipheriv('aes-256-gcm', rawKey, ivs[i]!, { authTagLength: 16 });
        const out = c.update(p);
        c.final();
        c.getAuthTag().copy(tags[i]!);
        return out;
      });
      const rawDecrypt = row(
        'raw aes-256-gcm decrypt, 1 MiB chunks',
        await throughput(3, TOTAL, () => {
          sealedChunks.forEach((chunk, i) => {
            const d = createDecipheriv('aes-256-gcm', rawKey, ivs[i]!, { authTagLength: 16 });
            d.setAuthTag(tags[i]!);
            d.update(chunk);
            d.final();
          });
        }),
        'baseline',
      );
      const decrypt = row('envelope decrypt', await throughput(3, TOTAL, () => drain(decryptStream(ciphertext, { key }))));
      rows.push(rawDecrypt, against(decrypt, rawDecrypt));

      const file = join(dir, 'dataset.cove');
      await pipeline(Readable.from(ciphertext), createWriteStream(file));
      ciphertext.length = 0;
      sealedChunks.length = 0;

      const provider = await createStorageNode({ directory: join(dir, 'provider'), listen: true });
      const consumers = [
        await createStorageNode({ directory: join(dir, 'consumer-1'), listen: true }),
        await createStorageNode({ directory: join(dir, 'consumer-2'), listen: true }),
      ] as const;
      try {
        let cid = '';
        const add = row(
          'helia add from a disk file (blockstore-fs)',
          await throughput(1, sealedBytes, async () => {
            cid = await provider.add(createReadStream(file, { highWaterMark: MiB }));
          }),
        );
        const cat = row('helia cat from the local blockstore', await throughput(1, sealedBytes, () => drain(provider.cat(cid))));
        for (const c of consumers) await c.dial(provider.multiaddrs()[0]!);
        const transfer = row(
          'two-node cat over loopback (bitswap)',
          await throughput(1, sealedBytes, () => drain(consumers[0].cat(cid, { timeoutMs: 30_000 }))),
        );
        const fetchDecrypt = row(
          'two-node cat + envelope decrypt',
          await throughput(1, TOTAL, () => drain(decryptStream(consumers[1].cat(cid, { timeoutMs: 30_000 }), { key }))),
        );
        rows.push(add, against(cat, add), against(transfer, cat), against(fetchDecrypt, transfer));
      } finally {
        for (const c of consumers) await c.stop();
        await provider.stop();
      }
      rows.push(...(await pinTransferRows(dir, [64 * MiB, 256 * MiB])));
      return rows;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
