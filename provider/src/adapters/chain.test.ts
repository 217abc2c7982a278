import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../config.js';
import { MAX_IPFS_ADDRS_BYTES, registryIpfsAddrs } from './chain.js';

const PEER = '12D3KooWGzHxVfQxjP6Y8mmhL4JQw5TtJbQ8rZ9QdD4Zf8F3m7Xq';

describe('registryIpfsAddrs', () => {
  it('ends every multiaddr in /p2p/<peerId>, drops duplicates and joins them with spaces', () => {
    const { value, omitted } = registryIpfsAddrs([`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`, '/ip4/10.0.0.2/tcp/4001', `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`], PEER);
    assert.equal(value, `/ip4/127.0.0.1/tcp/4001/p2p/${PEER} /ip4/10.0.0.2/tcp/4001/p2p/${PEER}`);
    assert.deepEqual(omitted, []);
  });

  it(`keeps within ${MAX_IPFS_ADDRS_BYTES} bytes, reporting what it left out`, () => {
    const many = Array.from({ length: 40 }, (_, i) => `/ip4/10.0.0.${i}/tcp/4001`);
    const { value, omitted } = registryIpfsAddrs(many, PEER);
    assert.ok(Buffer.byteLength(value) <= MAX_IPFS_ADDRS_BYTES);
    assert.equal(value.split(' ').length + omitted.length, 40);
    assert.ok(omitted.length > 0);
  });

  it('is empty for a node that listens nowhere', () => {
    assert.equal(registryIpfsAddrs([], PEER).value, '');
  });
});

describe('config: receipt batching', () => {
  const base = {
    COVE_DATA_NFT_ADDRESS: '0x' + '11'.repeat(20),
    COVE_COMPUTE_RECEIPTS_ADDRESS: '0x' + '22'.repeat(20),
    COVE_PROVIDER_REGISTRY_ADDRESS: '0x' + '33'.repeat(20),
  };

  it('defaults to batches of one (each receipt alone, at once)', () => {
    assert.deepEqual(loadConfig(base).receipts, { batchSize: 1, batchAgeMs: 60_000 });
    assert.deepEqual(loadConfig({ ...base, COVE_RECEIPT_BATCH_SIZE: '32', COVE_RECEIPT_BATCH_AGE_MS: '5000' }).receipts, { batchSize: 32, batchAgeMs: 5000 });
  });

  it('refuses a size outside 1..256 and a negative or over-a-day age', () => {
    for (const v of ['0', '257', '1.5', 'x']) assert.throws(() => loadConfig({ ...base, COVE_RECEIPT_BATCH_SIZE: v }), /COVE_RECEIPT_BATCH_SIZE/);
    for (const v of ['-1', '86400001']) assert.throws(() => loadConfig({ ...base, COVE_RECEIPT_BATCH_AGE_MS: v }), /COVE_RECEIPT_BATCH_AGE_MS/);
  });
});
