import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import type { UnixFS } from '@helia/unixfs';
import { catWithIdleTimeout } from './cat.js';

const cid = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');

test('progress reported after the last chunk leaves no timer behind', async () => {
  let lateProgress: (() => void) | undefined;
  const fs = {
    async *cat(_cid: CID, options: { onProgress?: () => void }) {
      lateProgress = options.onProgress;
      yield new Uint8Array([1, 2, 3]);
    },
  } as unknown as UnixFS;
  const chunks: Uint8Array[] = [];
  for await (const c of catWithIdleTimeout({ fs, cid, signal: undefined, timeoutMs: 60_000, onProgress: undefined, concurrency: 1 })) chunks.push(c);
  assert.equal(chunks.length, 1);
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  lateProgress?.(); // the exporter's late event
  const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.equal(after, before);
});

test('an idle source fails with CID_NOT_FOUND after the idle timeout', async () => {
  const fs = {
    async *cat(_cid: CID, options: { signal: AbortSignal }) {
      await new Promise((_, reject) => options.signal.addEventListener('abort', () => reject(options.signal.reason)));
      yield new Uint8Array();
    },
  } as unknown as UnixFS;
  const read = async () => {
    for await (const _ of catWithIdleTimeout({ fs, cid, signal: undefined, timeoutMs: 50, onProgress: undefined, concurrency: 1 }));
  };
  await assert.rejects(read(), { code: 'CID_NOT_FOUND' });
});
