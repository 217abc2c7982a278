import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProviderError } from '../errors.js';
import { ACCESS_SERVICE, CONSUMER_X25519, createScenario, PROVIDER_X25519 } from '../testing/scenario.js';
import { requestDownload } from './requestDownload.js';

function deps(s: ReturnType<typeof createScenario>) {
  return { chain: s.fchain.chain, documents: s.documents.port, store: s.store, crypto: s.crypto, providerAddress: s.provider.address, dataNft: s.dataNft, domain: s.domain, maxTtlSeconds: 3600 };
}

describe('requestDownload', () => {
  it('re-seals the content key to the buyer and consumes the order', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const o = s.order(a.assetId, { serviceId: ACCESS_SERVICE });
    const request = s.downloadRequest([{ assetId: a.assetId, txHash: o.txHash }]);
    const { datasets } = await requestDownload(deps(s), { request, signature: await s.signDownload(request) });
    assert.equal(datasets[0]!.encryptedContentCid, a.view.content.encryptedContentCid);
    assert.match(datasets[0]!.sealedKey, new RegExp(`^sealed:${CONSUMER_X25519}:`));
    assert.equal(datasets[0]!.sealedKey.split(':')[2], a.view.content.sealedKey.split(':')[2], 'same content key');
    assert.ok(a.view.content.sealedKey.startsWith(`sealed:${PROVIDER_X25519}`));
    assert.deepEqual(s.store.usedOrders([o.orderId]), [o.orderId]);
  });

  it('refuses a compute order for a download and an asset without an access service', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const r1 = s.downloadRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
    await assert.rejects(requestDownload(deps(s), { request: r1, signature: await s.signDownload(r1) }), (e) => isProviderError(e, 'ORDER_SERVICE_MISMATCH'));
    const b = await s.addAsset({ services: [{ id: '0', type: 'compute' }] });
    const r2 = s.downloadRequest([{ assetId: b.assetId, txHash: s.order(b.assetId, { serviceId: ACCESS_SERVICE }).txHash }]);
    await assert.rejects(requestDownload(deps(s), { request: r2, signature: await s.signDownload(r2) }), (e) => isProviderError(e, 'SERVICE_NOT_OFFERED'));
  });

  it('refuses an asset whose document names another provider', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    a.view.provider.address = s.stranger.address;
    const r = s.downloadRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { serviceId: ACCESS_SERVICE }).txHash }]);
    await assert.rejects(requestDownload(deps(s), { request: r, signature: await s.signDownload(r) }), (e) => isProviderError(e, 'ASSET_NOT_SERVED'));
  });
});
