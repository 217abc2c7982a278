import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataPlaneError, envelopeSize, PIN_REQUEST_TYPES } from '@cove/sdk';
import { isProviderError } from '../errors.js';
import type { StoragePort } from '../ports.js';
import { createScenario } from '../testing/scenario.js';
import { pinContent, pinStoredLimit } from './pinContent.js';

/** The stored-bytes limit of the tests' 1000-byte cap (the envelope, DAG and a document on top). */
const LIMIT = pinStoredLimit(1000);
const half = (fill: number) => Buffer.alloc(Math.ceil(LIMIT / 2) + 100, fill);

/** The scenario's storage, recording calls; `declared` overrides what `stat` reports. */
function spyStorage(s: ReturnType<typeof createScenario>, declared: Record<string, number> = {}) {
  const calls = { stat: [] as string[], fetch: [] as { cid: string; maxBytes: number }[], pin: [] as string[] };
  const storage: Pick<StoragePort, 'stat' | 'fetch' | 'pin' | 'dial'> = {
    dial: async () => {},
    async stat(cid) {
      calls.stat.push(cid);
      return cid in declared ? { bytes: declared[cid]! } : s.storage.stat(cid);
    },
    async fetch(cid, options) {
      calls.fetch.push({ cid, maxBytes: options.maxBytes });
      return s.storage.fetch(cid, options);
    },
    async pin(cid) {
      calls.pin.push(cid);
      return s.storage.pin(cid);
    },
  };
  return { storage, calls };
}

async function signed(s: ReturnType<typeof createScenario>, cids: string[], nonce: string, from: string[] = []) {
  const request = { publisher: s.consumer.address, cids, from, nonce, expiry: Math.floor(Date.now() / 1000) + 60 };
  return { request, signature: await s.consumer.signTypedData(s.domain, PIN_REQUEST_TYPES, request) };
}

describe('pinContent', () => {
  it('pins what the publisher signed for, once per nonce', async () => {
    const s = createScenario();
    const cid = await s.storage.add(Buffer.from('doc'));
    const { request, signature } = await signed(s, [cid], '7');
    const d = { store: s.store, storage: s.storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1024 };
    assert.deepEqual(await pinContent(d, { request, signature }), { pinned: [cid] });
    await assert.rejects(pinContent(d, { request, signature }), (e) => isProviderError(e, 'NONCE_REPLAYED'));
    const forged = await s.stranger.signTypedData(s.domain, PIN_REQUEST_TYPES, { ...request, nonce: '8' });
    await assert.rejects(pinContent(d, { request: { ...request, nonce: '8' }, signature: forged }), (e) => isProviderError(e, 'SIGNATURE_INVALID'));
  });

  it('refuses with PIN_TOO_LARGE when the declared sizes sum over the cap, before fetching or pinning, and the nonce stays used', async () => {
    const s = createScenario();
    const a = await s.storage.add(half(1));
    const b = await s.storage.add(half(2));
    const { storage, calls } = spyStorage(s);
    const d = { store: s.store, storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1000 };
    const req = await signed(s, [a, b], '1');
    await assert.rejects(pinContent(d, req), (e) => isProviderError(e, 'PIN_TOO_LARGE') && e.status === 413 && e.details?.declaredBytes === 2 * half(1).length && e.details?.maxBytes === LIMIT);
    assert.deepEqual(calls.stat, [a, b]);
    assert.deepEqual(calls.fetch, []);
    assert.deepEqual(calls.pin, []);
    await assert.rejects(pinContent(d, req), (e) => isProviderError(e, 'NONCE_REPLAYED'));
    assert.deepEqual(await pinContent(d, await signed(s, [a], '2')), { pinned: [a] }, 'one of them fits');
  });

  it('refuses with PIN_TOO_LARGE when the fetched bytes exceed the cap though the roots declare less, pinning nothing', async () => {
    const s = createScenario();
    const a = await s.storage.add(half(1));
    const b = await s.storage.add(half(2));
    const { storage, calls } = spyStorage(s, { [a]: 1, [b]: 1 });
    const d = { store: s.store, storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1000 };
    await assert.rejects(pinContent(d, await signed(s, [a, b], '1')), (e) => isProviderError(e, 'PIN_TOO_LARGE') && e.details?.maxBytes === LIMIT && e.details?.maxPlaintextBytes === 1000);
    assert.deepEqual(calls.fetch, [{ cid: a, maxBytes: LIMIT }, { cid: b, maxBytes: LIMIT - half(1).length }], 'the budget is shared by the CIDs');
    assert.deepEqual(calls.pin, []);
  });

  it('answers UNAVAILABLE when the content cannot be fetched', async () => {
    const s = createScenario();
    const d = { store: s.store, storage: s.storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1000 };
    await assert.rejects(pinContent(d, await signed(s, ['bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'], '1')), (e) => isProviderError(e, 'UNAVAILABLE'));
  });

  it('admits a dataset of exactly the cap with its envelope and document, and refuses one byte of ciphertext more', async () => {
    const s = createScenario();
    const cap = 4096;
    const content = await s.storage.add(Buffer.alloc(envelopeSize(cap), 1));
    const document = await s.storage.add(Buffer.alloc(1024 * 1024, 2));
    const d = { store: s.store, storage: s.storage, domain: s.domain, maxTtlSeconds: 3600, maxBytes: cap };
    assert.deepEqual(await pinContent(d, await signed(s, [content, document], '1')), { pinned: [content, document] });
    const over = await s.storage.add(Buffer.alloc(pinStoredLimit(cap) + 1, 3));
    await assert.rejects(pinContent(d, await signed(s, [over], '2')), (e) => isProviderError(e, 'PIN_TOO_LARGE'));
  });

  it('names a stall PIN_IDLE_TIMEOUT, and PIN_SOURCE_UNREACHABLE when no given peer could be dialed', async () => {
    const s = createScenario();
    const cid = await s.storage.add(Buffer.from('data'));
    const stalled = { ...s.storage, fetch: async () => Promise.reject(new DataPlaneError('CID_NOT_FOUND', 'no block within 5 ms')) };
    const d = { store: s.store, storage: stalled, domain: s.domain, maxTtlSeconds: 3600, maxBytes: 1000, idleTimeoutMs: 5, allowPrivateAddresses: true };
    await assert.rejects(pinContent(d, await signed(s, [cid], '1')), (e) => isProviderError(e, 'PIN_IDLE_TIMEOUT') && e.status === 504 && e.details?.idleTimeoutMs === 5);
    const refused = { ...stalled, dial: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4001')) };
    const from = ['/ip4/127.0.0.1/tcp/4001'];
    await assert.rejects(
      pinContent({ ...d, storage: refused }, await signed(s, [cid], '2', from)),
      (e) => isProviderError(e, 'PIN_SOURCE_UNREACHABLE') && e.status === 502 && /ECONNREFUSED/.test(e.message),
    );
  });
});
