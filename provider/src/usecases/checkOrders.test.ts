import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProviderError, type ProviderErrorCode } from '../errors.js';
import type { CryptoPort } from '../ports.js';
import { fakeSealBound } from '../testing/fakes.js';
import { ACCESS_SERVICE, COMPUTE_SERVICE, createScenario, PROVIDER_X25519, type Scenario } from '../testing/scenario.js';
import { checkOrders, type CheckOrdersDeps } from './checkOrders.js';
import { requestDownload } from './requestDownload.js';

function deps(s: Scenario, o: Partial<CheckOrdersDeps> = {}): CheckOrdersDeps {
  return { chain: s.fchain.chain, documents: s.documents.port, crypto: s.crypto, store: s.store, providerAddress: s.provider.address, dataNft: s.dataNft, ...o };
}

const refusedWith = (code: ProviderErrorCode, details?: Record<string, unknown>) => (e: unknown) => {
  assert.ok(isProviderError(e, code), `expected ${code}, got ${(e as Error).message}`);
  if (details) assert.deepEqual(e.details, details);
  return true;
};

/** Checks one order of `assetId` for `serviceType` through checkOrders. */
async function check(s: Scenario, assetId: bigint, serviceType: 'access' | 'compute', d: CheckOrdersDeps = deps(s)) {
  const serviceId = serviceType === 'access' ? ACCESS_SERVICE : COMPUTE_SERVICE;
  const o = s.order(assetId, { serviceId });
  return checkOrders(d, { consumer: s.consumer.address, serviceType, datasets: [{ assetId: String(assetId), serviceId, orderTxHash: o.txHash }] });
}

/** A stranger's asset whose document carries the victim's content block, as copied from IPFS. */
async function copyOf(s: Scenario, victim: Awaited<ReturnType<Scenario['addAsset']>>) {
  const copy = await s.addAsset({ publisher: s.stranger.address });
  copy.view.content = { ...victim.view.content };
  return copy;
}

describe('checkOrders: the sealed key is bound to the asset it was sealed for', () => {
  it('accepts a key bound to this chain, this DataNFT and the asset creator, for download and compute, reading only its binding', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const read: string[] = [];
    const crypto: Pick<CryptoPort, 'bindingOf'> = { bindingOf: (sealed) => (read.push(sealed), s.crypto.bindingOf(sealed)) };
    for (const type of ['access', 'compute'] as const) {
      const [checked] = await check(s, a.assetId, type, deps(s, { crypto }));
      assert.equal(checked!.assetId, a.assetId);
    }
    assert.deepEqual(read, [a.view.content.sealedKey, a.view.content.sealedKey]);
  });

  it('refuses a content block copied into another publisher\'s asset with KEY_BINDING_MISMATCH, for download and compute', async () => {
    const s = createScenario();
    const copy = await copyOf(s, await s.addAsset());
    for (const type of ['access', 'compute'] as const) {
      await assert.rejects(check(s, copy.assetId, type), refusedWith('KEY_BINDING_MISMATCH', { assetId: String(copy.assetId) }));
    }
  });

  it('keeps serving a sold asset: the binding names the creator, which a transfer does not change', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    // The fake chain, like DataNFT.creatorOf, answers the publisher whoever holds the token now.
    assert.equal(await s.fchain.chain.creatorOf(a.assetId), s.publisher.address);
    assert.equal((await check(s, a.assetId, 'access')).length, 1);
    assert.equal((await check(s, a.assetId, 'compute')).length, 1);
  });

  it('refuses a key bound to another chain, another DataNFT or nobody, and an unbound (v1) key, with KEY_BINDING_MISMATCH', async () => {
    const s = createScenario();
    const key = Buffer.alloc(32, 7);
    const bindings = [
      { chainId: 1n, dataNft: s.dataNft, publisher: s.publisher.address },
      { chainId: s.fchain.chain.chainId, dataNft: '0x' + 'ab'.repeat(20), publisher: s.publisher.address },
      { chainId: s.fchain.chain.chainId, dataNft: s.dataNft, publisher: s.stranger.address },
    ];
    const sealed = [...bindings.map((b) => fakeSealBound(key, PROVIDER_X25519, b)), s.crypto.sealKey(key, PROVIDER_X25519)];
    for (const sealedKey of sealed) {
      const a = await s.addAsset();
      a.view.content.sealedKey = sealedKey;
      await assert.rejects(check(s, a.assetId, 'access'), refusedWith('KEY_BINDING_MISMATCH', { assetId: String(a.assetId) }), sealedKey);
    }
  });

  it('compares the DataNFT and publisher addresses case-insensitively', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    a.view.content.sealedKey = fakeSealBound(Buffer.alloc(32, 1), PROVIDER_X25519, { chainId: s.fchain.chain.chainId, dataNft: s.dataNft.toUpperCase().replace('0X', '0x'), publisher: s.publisher.address.toLowerCase() });
    assert.equal((await check(s, a.assetId, 'access')).length, 1);
  });

  it('refuses an asset whose creator the chain does not know with KEY_BINDING_MISMATCH', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    s.fchain.creators.delete(a.assetId);
    await assert.rejects(check(s, a.assetId, 'compute'), refusedWith('KEY_BINDING_MISMATCH'));
  });

  it('refuses a key sealed to another provider with KEY_NOT_SEALED_TO_PROVIDER', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    a.view.content.sealedKey = fakeSealBound(Buffer.alloc(32, 3), '0x' + '33'.repeat(32), { chainId: s.fchain.chain.chainId, dataNft: s.dataNft, publisher: s.publisher.address });
    for (const type of ['access', 'compute'] as const) {
      await assert.rejects(check(s, a.assetId, type), refusedWith('KEY_NOT_SEALED_TO_PROVIDER', { assetId: String(a.assetId) }));
    }
  });
});

describe('checkOrders: an order spent on-chain is spent for every instance', () => {
  it('refuses an order a receipt spent with ORDER_ALREADY_USED, though the local store never saw it, before loading the document', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const o = s.order(a.assetId);
    const jobId = '0x' + 'cd'.repeat(32);
    s.fchain.spentOrders.set(o.orderId.toLowerCase(), jobId);
    const loads = s.documents.loads();
    await assert.rejects(
      checkOrders(deps(s), { consumer: s.consumer.address, serviceType: 'compute', datasets: [{ assetId: String(a.assetId), serviceId: COMPUTE_SERVICE, orderTxHash: o.txHash }] }),
      refusedWith('ORDER_ALREADY_USED', { orderId: o.orderId, jobId }),
    );
    assert.equal(s.documents.loads(), loads, 'document not loaded');
    assert.deepEqual(s.store.usedOrders([o.orderId]), [], 'the local store knows nothing of it');
  });

  it('refuses a spent order whose OrderConsumed log is not found, without a job id', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const o = s.order(a.assetId);
    s.fchain.spentOrders.set(o.orderId.toLowerCase(), undefined);
    await assert.rejects(
      checkOrders(deps(s), { consumer: s.consumer.address, serviceType: 'compute', datasets: [{ assetId: String(a.assetId), serviceId: COMPUTE_SERVICE, orderTxHash: o.txHash }] }),
      (err: unknown) => isProviderError(err) && err.code === 'ORDER_ALREADY_USED' && (err.details as { orderId: string }).orderId === o.orderId && !('jobId' in (err.details as object)),
    );
  });

  it('accepts an order no receipt names', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    s.fchain.spentOrders.set('0x' + 'ef'.repeat(32), '0x' + '01'.repeat(32));
    assert.equal((await check(s, a.assetId, 'compute')).length, 1);
  });
});

describe('requestDownload over a copied content block', () => {
  it('re-seals nothing and consumes neither the order nor the nonce', async () => {
    const s = createScenario();
    const copy = await copyOf(s, await s.addAsset());
    const o = s.order(copy.assetId, { serviceId: ACCESS_SERVICE });
    const sealed: string[] = [];
    const crypto: CryptoPort = { ...s.crypto, sealKey: (k, r) => { sealed.push(r); return s.crypto.sealKey(k, r); } };
    const request = s.downloadRequest([{ assetId: copy.assetId, txHash: o.txHash }]);
    await assert.rejects(
      requestDownload({ ...deps(s), store: s.store, crypto, domain: s.domain, maxTtlSeconds: 3600 }, { request, signature: await s.signDownload(request) }),
      refusedWith('KEY_BINDING_MISMATCH', { assetId: String(copy.assetId) }),
    );
    assert.deepEqual(sealed, [], 'no key re-sealed');
    assert.deepEqual(s.store.usedOrders([o.orderId]), [], 'order not consumed');
    assert.equal(s.store.lastNonce(s.consumer.address), undefined, 'nonce not consumed');
  });
});
