import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envelopeSize, MAX_DOCUMENT_BYTES, unixfsOverheadBound } from '@cove/sdk';
import { loadConfig } from './config.js';
import { pinStoredLimit } from './usecases/pinContent.js';

const base = {
  COVE_DATA_NFT_ADDRESS: '0x' + '11'.repeat(20),
  COVE_COMPUTE_RECEIPTS_ADDRESS: '0x' + '22'.repeat(20),
  COVE_PROVIDER_REGISTRY_ADDRESS: '0x' + '33'.repeat(20),
};

describe('config: COVE_RUNTIME', () => {
  it('defaults to auto with the node runtime image as probe, and takes runsc and runc', () => {
    assert.deepEqual(
      { runtime: loadConfig(base).jobs.runtime, probe: loadConfig(base).jobs.runtimeProbeImage },
      { runtime: 'auto', probe: 'cove/node-runtime:24' },
    );
    assert.equal(loadConfig({ ...base, COVE_RUNTIME: 'runsc' }).jobs.runtime, 'runsc');
    assert.equal(loadConfig({ ...base, COVE_RUNTIME: 'runc', COVE_RUNTIME_PROBE_IMAGE: 'img:1' }).jobs.runtimeProbeImage, 'img:1');
  });

  it('refuses any other runtime', () => {
    assert.throws(() => loadConfig({ ...base, COVE_RUNTIME: 'kata' }), /COVE_RUNTIME/);
  });
});

describe('config: COVE_PIN_MAX_BYTES', () => {
  it('defaults to a 20 GiB dataset, whose envelope, DAG and document fit the stored-bytes limit', () => {
    const max = loadConfig(base).limits.pinMaxBytes;
    assert.equal(max, 20 * 1024 ** 3);
    const sealed = envelopeSize(max);
    assert.ok(sealed > max, 'the envelope adds bytes');
    assert.ok(pinStoredLimit(max) >= sealed + unixfsOverheadBound(sealed) + MAX_DOCUMENT_BYTES);
    assert.equal(loadConfig({ ...base, COVE_PIN_MAX_BYTES: String(1024 ** 3) }).limits.pinMaxBytes, 1024 ** 3);
    assert.equal(loadConfig({ ...base, COVE_PIN_IDLE_TIMEOUT_MS: '5000' }).limits.pinIdleTimeoutMs, 5000);
  });
});

describe('config: COVE_INPUT_CACHE_MAX_BYTES', () => {
  it('defaults to 32 GiB (a 20 GiB dataset fits), takes 0 to turn the cache off, and refuses a negative size', () => {
    assert.equal(loadConfig(base).jobs.inputCacheMaxBytes, 32 * 1024 ** 3);
    assert.equal(loadConfig({ ...base, COVE_INPUT_CACHE_MAX_BYTES: '0' }).jobs.inputCacheMaxBytes, 0);
    assert.throws(() => loadConfig({ ...base, COVE_INPUT_CACHE_MAX_BYTES: '-1' }), /COVE_INPUT_CACHE_MAX_BYTES/);
  });
});
