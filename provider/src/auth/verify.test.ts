import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { isProviderError } from '../errors.js';
import { JOB_ACCESS_TYPES, providerDomain } from '@cove/sdk';
import { createJobAccessVerifier } from './verify.js';

describe('job access verifier', () => {
  const consumer = Wallet.createRandom();
  const domain = providerDomain({ chainId: 1n, provider: Wallet.createRandom().address });
  const jobId = '0x' + '12'.repeat(32);

  it('recovers the signer, then answers from its cache until the token expires', async () => {
    let now = 1_000_000_000_000;
    const verify = createJobAccessVerifier({ domain, maxTtlSeconds: 600, clock: () => now });
    const expiry = now / 1000 + 300;
    const signature = await consumer.signTypedData(domain, JOB_ACCESS_TYPES, { jobId, action: 'read', expiry });
    assert.equal(verify({ jobId, action: 'read', expiry, signature }), consumer.address);
    assert.equal(verify({ jobId, action: 'read', expiry, signature }), consumer.address);
    now += 301_000;
    assert.throws(() => verify({ jobId, action: 'read', expiry, signature }), (e) => isProviderError(e, 'SIGNATURE_EXPIRED'));
  });

  it('never lets a cached read token count for another job or for a stop', async () => {
    const verify = createJobAccessVerifier({ domain, maxTtlSeconds: 600 });
    const expiry = Math.floor(Date.now() / 1000) + 300;
    const signature = await consumer.signTypedData(domain, JOB_ACCESS_TYPES, { jobId, action: 'read', expiry });
    assert.equal(verify({ jobId, action: 'read', expiry, signature }), consumer.address);
    assert.notEqual(verify({ jobId, action: 'stop', expiry, signature }), consumer.address);
    assert.notEqual(verify({ jobId: '0x' + '34'.repeat(32), action: 'read', expiry, signature }), consumer.address);
  });

  it('refuses tokens valid for longer than the provider allows', async () => {
    const verify = createJobAccessVerifier({ domain, maxTtlSeconds: 60 });
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const signature = await consumer.signTypedData(domain, JOB_ACCESS_TYPES, { jobId, action: 'read', expiry });
    assert.throws(() => verify({ jobId, action: 'read', expiry, signature }), (e) => isProviderError(e, 'VALIDATION'));
  });
});
