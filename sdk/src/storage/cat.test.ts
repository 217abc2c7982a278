import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import { catWithIdleTimeout, type CatSource } from './cat.js';

const cid = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');

test('a block arriving after the last chunk leaves no timer behind', async () => {
  let lateBlock: (() => void) | undefined;
  const source: CatSource = async function* ({ onBlock }) {
    lateBlock = onBlock;
    yield new Uint8Array([1, 2, 3]);
  };
  const chunks: Uint8Array[] = [];
  for await (const c of catWithIdleTimeout({ source, cid, signal: undefined, timeoutMs: 60_000, onProgress: undefined })) chunks.push(c);
  assert.equal(chunks.length, 1);
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  lateBlock?.(); // a read-ahead block landing late
  const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  assert.equal(after, before);
});

test('an idle source fails with CID_NOT_FOUND after the idle timeout', async () => {
  const source: CatSource = async function* ({ signal }) {
    await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    yield new Uint8Array();
  };
  const read = async () => {
    for await (const _ of catWithIdleTimeout({ source, cid, signal: undefined, timeoutMs: 50, onProgress: undefined }));
  };
  await assert.rejects(read(), { code: 'CID_NOT_FOUND' });
});
