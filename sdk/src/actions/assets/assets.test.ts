import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decryptStream } from '../../crypto/envelope.js';
import { openSealedKey } from '../../crypto/seal.js';
import { isCoveError } from '../../errors.js';
import { createTestWorld, ONE, TEST_COMPUTE_POLICY } from './test-world.js';
import { publishAsset, type PublishAssetParameters } from './publishAsset.js';
import { getAsset } from './getAsset.js';
import { listAssets } from './listAssets.js';
import { updateAsset } from './updateAsset.js';
import { getPricing } from '../market/getPricing.js';
import { createCoveClientBase } from '../../client/base.js';
import type { PublishProgress } from './publishCore.js';

const CSV = 'id,radius,label\n' + Array.from({ length: 5000 }, (_, i) => `${i},${(i * 0.37).toFixed(2)},${i % 2}`).join('\n') + '\n';

test('publish, get, list and update an asset against anvil and Helia', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const other = await w.account();
  const file = join(w.dir, 'data.csv');
  await writeFile(file, CSV);
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  const common = { provider, computePolicy: TEST_COMPUTE_POLICY, pin: false } satisfies Partial<PublishAssetParameters>;

  const stages: PublishProgress['stage'][] = [];
  const published = await publishAsset(owner.client, {
    ...common,
    file,
    name: 'Tumour radii',
    contentType: 'text/csv',
    tags: ['medical'],
    license: 'CC-BY-4.0',
    services: [{ type: 'compute', timeoutSeconds: 3600 }, { type: 'access', timeoutSeconds: 600 }],
    pricing: { type: 'fixed', baseToken: w.baseAddress, rate: 3n * ONE },
    onProgress: (p) => void (stages.at(-1) !== p.stage && stages.push(p.stage)),
  });
  assert.deepEqual(stages, ['encrypting', 'storing', 'publishing']);
  assert.equal(published.contentHash, '0x' + createHash('sha256').update(CSV).digest('hex'));
  assert.ok(published.pricingId > 0n);

  // The chain anchors the document; the document names the provider and seals the key to it.
  const asset = await getAsset(owner.client, { assetId: published.assetId });
  assert.equal(asset.owner, owner.wallet.address);
  assert.equal(asset.kind, 'dataset');
  assert.equal(asset.documentCid, published.documentCid);
  assert.equal(asset.document.name, 'Tumour radii');
  assert.deepEqual(asset.document.services.map((s) => [s.id, s.type, s.timeoutSeconds, s.price?.amount]), [[0, 'compute', 3600, String(3n * ONE)], [1, 'access', 600, String(3n * ONE)]]);
  const { key, binding } = openSealedKey({ sealed: asset.document.content.sealedKey, secretKey: w.provider.keys.secretKey });
  // Bound to this chain, this DataNFT and the publisher (the asset's creator), so it cannot be copied into another asset.
  assert.deepEqual(binding, { chainId: owner.client.chainId, dataNft: owner.client.addresses.dataNFT.toLowerCase(), publisher: owner.wallet.address.toLowerCase() });
  const plain: Buffer[] = [];
  for await (const c of decryptStream(w.storage.cat(published.encryptedContentCid), { key, expectedContentHash: published.contentHash })) plain.push(Buffer.from(c));
  assert.equal(Buffer.concat(plain).toString(), CSV);

  // A second asset by another publisher, an algorithm from a stream.
  const algo = await publishAsset(other.client, {
    ...common,
    source: (async function* () { yield Buffer.from('print("hi")\n'); })(),
    name: 'Hello',
    contentType: 'text/x-python',
    kind: 'algorithm',
    pricing: { type: 'free', maxPerAddress: 2n * ONE },
  });

  const all = await listAssets(owner.client);
  assert.deepEqual(all.assets.map((a) => a.assetId), [published.assetId, algo.assetId]);
  assert.ok(all.assets.every((a) => a.error === undefined && a.document !== undefined));
  const mine = await listAssets(owner.client, { publisher: owner.wallet.address });
  assert.deepEqual(mine.assets.map((a) => [a.assetId, a.pricing]), [[published.assetId, 'fixedRate']]);
  const algos = await listAssets(owner.client, { kind: 'algorithm' });
  assert.deepEqual(algos.assets.map((a) => [a.assetId, a.pricing, a.document?.kind]), [[algo.assetId, 'dispenser', 'algorithm']]);
  const later = await listAssets(owner.client, { fromBlock: all.toBlock + 1 });
  assert.equal(later.assets.length, 0);

  // Update: merged, validated, anchored; only the owner may.
  const updated = await updateAsset(owner.client, { assetId: published.assetId, changes: { description: 'v2', tags: ['medical', 'csv'] }, pin: false });
  const again = await getAsset(other.client, { assetId: published.assetId });
  assert.equal(again.documentCid, updated.documentCid);
  assert.equal(again.metadataHash, updated.metadataHash);
  assert.equal(again.document.description, 'v2');
  assert.deepEqual(again.document.tags, ['medical', 'csv']);
  assert.equal(again.document.content.sealedKey, asset.document.content.sealedKey);
  await assert.rejects(updateAsset(other.client, { assetId: published.assetId, changes: { description: 'mine now' }, pin: false }), (e) => isCoveError(e, 'NOT_AUTHORIZED'));
  await assert.rejects(updateAsset(owner.client, { assetId: published.assetId, changes: { services: [{ id: 0, type: 'compute', timeoutSeconds: 7200 }] }, pin: false }), (e) => isCoveError(e, 'INVALID_PARAMS'));
  await assert.rejects(updateAsset(owner.client, { assetId: published.assetId, changes: { content: asset.document.content } as never, pin: false }), (e) => isCoveError(e, 'INVALID_PARAMS'));
  await assert.rejects(updateAsset(owner.client, { assetId: published.assetId, changes: { name: '' }, pin: false }), (e) => isCoveError(e, 'INVALID_DOCUMENT'));
});

test('a document whose bytes differ from the anchored hash is reported, never used', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  const base = { provider, computePolicy: TEST_COMPUTE_POLICY, pin: false, contentType: 'text/plain' };
  const good = await publishAsset(owner.client, { ...base, source: [Buffer.from('good')] as never, name: 'Good' });
  const bad = await publishAsset(owner.client, { ...base, source: [Buffer.from('bad')] as never, name: 'Bad' });
  // The owner re-anchors the same CID under another hash.
  await (await owner.client.contracts.dataNFT.getFunction('setMetadata')(bad.assetId, bad.documentCid, '0x' + 'ee'.repeat(32))).wait();

  await assert.rejects(getAsset(owner.client, { assetId: bad.assetId }), (e) => isCoveError(e, 'DOCUMENT_HASH_MISMATCH'));
  const { assets } = await listAssets(owner.client);
  const byId = new Map(assets.map((a) => [a.assetId, a]));
  assert.equal(byId.get(good.assetId)?.document?.name, 'Good');
  assert.equal(byId.get(bad.assetId)?.error?.code, 'DOCUMENT_HASH_MISMATCH');
  assert.equal(byId.get(bad.assetId)?.document, undefined);
});

test('unknown assets and bad publish parameters answer with codes', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const { client } = await w.account();
  await assert.rejects(getAsset(client, { assetId: 99n }), (e) => isCoveError(e, 'ASSET_NOT_FOUND'));
  await assert.rejects(updateAsset(client, { assetId: 99n, changes: { description: 'x' }, pin: false }), (e) => isCoveError(e, 'ASSET_NOT_FOUND'));
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  // A compute service (the default) needs a compute policy.
  await assert.rejects(publishAsset(client, { provider, pin: false, source: [Buffer.from('x')] as never, name: 'X', contentType: 'text/plain' }), (e) => isCoveError(e, 'INVALID_PARAMS'));
  await assert.rejects(
    publishAsset(client, { provider, pin: false, computePolicy: TEST_COMPUTE_POLICY, source: [Buffer.from('x')] as never, name: 'X', contentType: 'text/plain', pricing: { type: 'fixed', baseToken: w.baseAddress, rate: 0n } }),
    (e) => isCoveError(e, 'INVALID_PARAMS'),
  );
});

test('browsing works through an RPC that refuses eth_getLogs over more than 64 blocks (public endpoints cap the range)', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const file = join(w.dir, 'capped.csv');
  await writeFile(file, CSV);
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  const published = await publishAsset(owner.client, {
    provider, computePolicy: TEST_COMPUTE_POLICY, pin: false, file, name: 'Capped', contentType: 'text/csv',
    services: [{ type: 'compute', timeoutSeconds: 3600 }],
    pricing: { type: 'fixed', baseToken: w.baseAddress, rate: ONE },
  });
  await w.rpc.send('anvil_mine', ['0x100']);
  const asked: number[] = [];
  const capped = new Proxy(w.rpc, {
    get(target, key) {
      if (key !== 'getLogs') {
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return async (filter: { fromBlock: number; toBlock: number }) => {
        asked.push(filter.toBlock - filter.fromBlock + 1);
        if (filter.toBlock - filter.fromBlock + 1 > 64) throw new Error('query exceeds max block range 64');
        return target.getLogs(filter);
      };
    },
  });
  const reader = createCoveClientBase({ provider: capped, contracts: w.cove, storage: w.storage });
  const listed = await listAssets(reader, { documents: false });
  assert.deepEqual(listed.assets.map((a) => a.assetId), [published.assetId]);
  assert.equal((await getPricing(reader, { assetId: published.assetId })).type, 'fixedRate');
  assert.equal((await listAssets(reader, { publisher: owner.wallet.address, documents: false })).assets.length, 1);
  assert.ok(asked.some((n) => n > 64) && asked.some((n) => n <= 64), `ranges asked: ${asked.join(', ')}`);
  await assert.rejects(listAssets(reader, { publisher: 'not-an-address' }), { code: 'INVALID_PARAMS' });
});
