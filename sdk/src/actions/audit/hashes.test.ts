import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashResultFiles, imageIdOf, listingHash, sameHash } from './hashes.js';
import { getLogsRange, mapLimit } from './logs.js';

const bytes = (s: string) => new TextEncoder().encode(s);
// Known answers computed independently (Python: sha256 over sorted UTF-8 lines path NUL sha256hex LF).
const THREE_FILES = '0x8da559517812d46f019413824d69fa917a6a4a49ef6ed6cd6e1b987922895744';
const UTF8_ORDER = '0xbb5321fdc5120552755aa21f2f98d4eaf692035289ef97946350171971a72227';

describe('audit hashing', () => {
  it('computes the runner listing hash over paths sorted by bytes', async () => {
    const files = new Map([
      ['b/c.bin', bytes('world')],
      ['a.txt', bytes('hello')],
      ['B.txt', bytes('world')],
    ]);
    assert.equal(listingHash(await hashResultFiles(files, {})), THREE_FILES);
  });

  it('sorts by UTF-8 bytes, not UTF-16 code units', async () => {
    // U+FF01 sorts after U+1F600 in UTF-16 (surrogates) but before it in UTF-8.
    const files = new Map([
      ['😀', bytes('x')],
      ['！', bytes('hello')],
    ]);
    assert.equal(listingHash(await hashResultFiles(files, {})), UTF8_ORDER);
  });

  it('reads a result directory recursively with /-separated relative paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cove-audit-hash-'));
    try {
      await mkdir(join(dir, 'b'));
      await writeFile(join(dir, 'a.txt'), 'hello');
      await writeFile(join(dir, 'B.txt'), 'world');
      await writeFile(join(dir, 'b', 'c.bin'), 'world');
      const entries = await hashResultFiles(dir, {});
      assert.deepEqual(entries.map((e) => e.path).sort(), ['B.txt', 'a.txt', 'b/c.bin']);
      assert.equal(listingHash(entries), THREE_FILES);
      await symlink(join(dir, 'a.txt'), join(dir, 'link'));
      await assert.rejects(hashResultFiles(dir, {}), /link is not a regular file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maps a receipt image digest to a policy image ID and compares hashes loosely', () => {
    assert.equal(imageIdOf(`0x${'AB'.repeat(32)}`), `sha256:${'ab'.repeat(32)}`);
    assert.equal(sameHash(`0x${'ab'.repeat(32)}`, 'AB'.repeat(32)), true);
    assert.equal(sameHash(`0x${'ab'.repeat(32)}`, `0x${'ac'.repeat(32)}`), false);
  });
});

describe('audit log reads', () => {
  it('splits a refused block range and returns the logs in chain order', async () => {
    const asked: [number, number][] = [];
    const provider = {
      async getLogs(f: { fromBlock: number; toBlock: number }) {
        asked.push([f.fromBlock, f.toBlock]);
        if (f.toBlock - f.fromBlock > 24) throw new Error('range too large');
        return [{ blockNumber: f.toBlock, index: 0 }, { blockNumber: f.fromBlock, index: 1 }];
      },
    };
    const logs = await getLogsRange(provider as never, { address: '0x', topics: [] }, { fromBlock: 0, toBlock: 99 });
    assert.ok(asked.length > 1);
    const blocks = logs.map((l) => l.blockNumber);
    assert.deepEqual(blocks, [...blocks].sort((a, b) => a - b));
    assert.equal(blocks[0], 0);
    assert.equal(blocks.at(-1), 99);
  });

  it('gives up on a node that refuses every range', async () => {
    let calls = 0;
    const provider = { getLogs: async () => (calls++, Promise.reject(new Error('down'))) };
    await assert.rejects(getLogsRange(provider as never, { address: '0x', topics: [] }, { fromBlock: 0, toBlock: 1_000_000 }), /down/);
    assert.ok(calls < 200, `asked ${calls} times`);
  });

  it('runs at most `limit` tasks at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 30, 20, 40]);
    assert.equal(peak, 2);
  });
});
