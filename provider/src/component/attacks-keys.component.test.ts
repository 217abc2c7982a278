/**
 * Attacks on the content keys and on order spending, against the real provider (anvil,
 * Helia, Docker): a sealed key copied into another asset, a key sealed to another
 * provider, and an order spent on-chain replayed at a second instance. Each refusal is
 * checked for its status and code, and for having started, consumed and re-sealed nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ZeroAddress, type Wallet } from 'ethers';
import {
  ASSET_KIND,
  PRICING,
  connectCove,
  decodeKey,
  decryptStream,
  generateContentKey,
  generateKeyPair,
  getDatatoken,
  loadDocument,
  openSealedKey,
  sealKey,
  storeDocument,
  type AssetDocument,
} from '@cove/sdk';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from '../db/store.js';
import { startProvider, type RunningProvider } from '../start.js';
import { computeServicesOf, createWorld, IMAGES, ONE, postJson, SERVICE, waitForJob, type World } from './world.js';

let w: World;
let p: RunningProvider;
let nodeImage: string;
let victim: Awaited<ReturnType<World['publish']>>;
let victimDoc: AssetDocument;
let nonce = 5000n;
const VICTIM_ROWS = 'x\nsecret-1\nsecret-2\n';
const providerInfo = () => ({ address: p.address, url: p.url, x25519PublicKey: p.x25519PublicKey });
/** Both instances of the provider share this X25519 key (and the EVM key of the world). */
const sharedX25519 = () => `${w.dir}/shared-x25519.json`;

before(async () => {
  w = await createWorld();
  p = await startProvider(w.providerConfig({ COVE_PROVIDER_DATA_DIR: `${w.dir}/keys-a`, COVE_PROVIDER_X25519_KEY_FILE: sharedX25519() }));
  await w.client.dial(p.ipfsAddresses[0]!);
  nodeImage = await w.imageId(IMAGES.node);
  victim = await w.publish({ provider: providerInfo(), content: VICTIM_ROWS, allowedImages: [nodeImage] });
  victimDoc = (await loadDocument(w.client, victim.document.cid, { expectedHash: victim.document.hash })).document;
});
after(async () => {
  await p?.close({ stopJobs: true });
  await w?.close();
});

/** Stores `doc` and publishes it from `signer` (its creator), who keeps the whole datatoken supply. */
async function publishAs(signer: Wallet, doc: AssetDocument) {
  const stored = await storeDocument(w.client, doc);
  const factory = connectCove(w.cove, signer).assetFactory;
  const tx = await factory.getFunction('publish')({
    kind: ASSET_KIND.dataset,
    cid: stored.cid,
    metadataHash: stored.hash,
    name: doc.name.slice(0, 64),
    symbol: 'COPY',
    serviceTimeouts: doc.services.map((s) => s.timeoutSeconds),
    computeServices: computeServicesOf(doc.services),
    initialSupply: 10n * ONE,
    paymentCollector: ZeroAddress,
    parents: [],
    pricing: PRICING.none,
    fixedRate: { baseToken: ZeroAddress, rate: 0, feeCollector: ZeroAddress, feeBps: 0 },
    dispenser: { maxPerAddress: 0, maxTotal: 0 },
  });
  const mined = (await tx.wait())!;
  const ev = mined.logs.map((l: { topics: readonly string[]; data: string }) => factory.interface.parseLog(l)).find((e: { name?: string } | null) => e?.name === 'AssetPublished')!;
  return { assetId: ev.args.assetId as bigint, datatoken: ev.args.datatoken as string };
}

/** The victim's document with the victim's content block as is, under a new name: what a copier publishes. */
const copiedDocument = (): AssetDocument => ({ ...victimDoc, name: 'definitely my rows', created: new Date().toISOString() });

function downloadRequest(p: { assetId: bigint; txHash: string; consumer: string }) {
  return {
    consumer: p.consumer,
    datasets: [{ assetId: String(p.assetId), serviceId: String(SERVICE.access), orderTxHash: p.txHash }],
    consumerX25519: '0x' + Buffer.from(w.buyerKeys.publicKey).toString('hex'),
    nonce: String(nonce++),
    expiry: Math.floor(Date.now() / 1000) + 600,
  };
}

async function download(prov: RunningProvider, o: { assetId: bigint; txHash: string; as: Wallet }) {
  const request = downloadRequest({ assetId: o.assetId, txHash: o.txHash, consumer: o.as.address });
  return postJson(`${prov.url}/v1/download`, { request, signature: await w.signDownload(prov.address, request, o.as) });
}

async function compute(prov: RunningProvider, o: { assetId: bigint; txHash: string; as: Wallet }) {
  const { request, code } = w.computeRequest({ datasets: [{ assetId: o.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: nonce++, consumer: o.as.address });
  return postJson(`${prov.url}/v1/compute`, { request, signature: await w.signCompute(prov.address, request, o.as), algorithmCode: code.toString('base64') });
}

const jobsIn = (prov: RunningProvider) => prov.store.countJobs([...ACTIVE_STATUSES, ...TERMINAL_STATUSES]);

/** Runs `attempt`, expects `status` + `code`, and that it recorded no job, consumed no order and left the service healthy. */
async function refused(prov: RunningProvider, attempt: () => Promise<{ status: number; body: any }>, expected: { status: number; code: string; orderId: string; details?: Record<string, unknown> }) {
  await prov.idle();
  const jobs = jobsIn(prov);
  const r = await attempt();
  assert.equal(r.status, expected.status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, expected.code);
  if (expected.details) assert.deepEqual(r.body.error.details, expected.details);
  assert.equal(r.body.datasets, undefined, 'no key re-sealed');
  assert.equal(jobsIn(prov), jobs, 'no job recorded');
  assert.deepEqual(prov.store.usedOrders([expected.orderId]), [], 'order not consumed');
  const health = await fetch(`${prov.url}/v1/health`);
  assert.equal(health.status, 200);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of source) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

describe('content keys are bound to the asset they were sealed for', () => {
  it("refuses a download of a stranger's asset that copies the victim's content block with KEY_BINDING_MISMATCH", async () => {
    const copy = await publishAs(w.stranger, copiedDocument());
    const o = await w.order({ datatoken: copy.datatoken, provider: p.address, serviceId: SERVICE.access, payer: w.stranger });
    await refused(p, () => download(p, { assetId: copy.assetId, txHash: o.txHash, as: w.stranger }), { status: 403, code: 'KEY_BINDING_MISMATCH', orderId: o.orderId, details: { assetId: String(copy.assetId) } });
  });

  it("refuses a compute job over a stranger's asset that copies the victim's content block with KEY_BINDING_MISMATCH", async () => {
    const copy = await publishAs(w.stranger, copiedDocument());
    const o = await w.order({ datatoken: copy.datatoken, provider: p.address, serviceId: SERVICE.compute, payer: w.stranger });
    await refused(p, () => compute(p, { assetId: copy.assetId, txHash: o.txHash, as: w.stranger }), { status: 403, code: 'KEY_BINDING_MISMATCH', orderId: o.orderId, details: { assetId: String(copy.assetId) } });
  });

  it('keeps serving an asset its creator sold: download and compute still work for the new holder\'s buyers', async () => {
    const sold = await w.publish({ provider: providerInfo(), content: 'x\nsold-1\n', allowedImages: [nodeImage] });
    const newOwner = w.stranger.address;
    await (await w.c.dataNFT.getFunction('transferFrom')(w.publisher.address, newOwner, sold.assetId)).wait();
    assert.equal(await w.c.dataNFT.getFunction('ownerOf')(sold.assetId), newOwner);
    assert.equal(await w.c.dataNFT.getFunction('creatorOf')(sold.assetId), w.publisher.address);

    const od = await w.order({ datatoken: sold.datatoken, provider: p.address, serviceId: SERVICE.access });
    const d = await download(p, { assetId: sold.assetId, txHash: od.txHash, as: w.buyer });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const grant = d.body.datasets[0];
    const { key } = openSealedKey({ sealed: grant.sealedKey, secretKey: w.buyerKeys.secretKey });
    assert.equal(await readAll(decryptStream(w.client.cat(grant.encryptedContentCid, { timeoutMs: 20_000 }), { key, expectedContentHash: grant.contentHash })), 'x\nsold-1\n');

    const oc = await w.order({ datatoken: sold.datatoken, provider: p.address, serviceId: SERVICE.compute });
    const c = await compute(p, { assetId: sold.assetId, txHash: oc.txHash, as: w.buyer });
    assert.equal(c.status, 202, JSON.stringify(c.body));
    const status = await waitForJob(w, p.url, p.address, c.body.jobId);
    assert.equal(status.status, 'succeeded', JSON.stringify(status));
  });

  it("refuses at admission a key sealed to another provider's X25519 key with KEY_NOT_SEALED_TO_PROVIDER, for download and compute", async () => {
    const other = generateKeyPair();
    const doc: AssetDocument = {
      ...copiedDocument(),
      content: { ...victimDoc.content, sealedKey: sealKey({ key: generateContentKey(), recipientPublicKey: other.publicKey, binding: { chainId: w.cove.chainId, dataNft: w.cove.dataNFT, publisher: w.publisher.address } }) },
    };
    const a = await publishAs(w.publisher, doc);
    const od = await w.order({ datatoken: a.datatoken, provider: p.address, serviceId: SERVICE.access, payer: w.publisher });
    await refused(p, () => download(p, { assetId: a.assetId, txHash: od.txHash, as: w.publisher }), { status: 403, code: 'KEY_NOT_SEALED_TO_PROVIDER', orderId: od.orderId, details: { assetId: String(a.assetId) } });
    const oc = await w.order({ datatoken: a.datatoken, provider: p.address, serviceId: SERVICE.compute, payer: w.publisher });
    await refused(p, () => compute(p, { assetId: a.assetId, txHash: oc.txHash, as: w.publisher }), { status: 403, code: 'KEY_NOT_SEALED_TO_PROVIDER', orderId: oc.orderId, details: { assetId: String(a.assetId) } });
  });

  it('the victim asset itself is still served (the check refuses copies, not the original)', async () => {
    const o = await w.order({ datatoken: victim.datatoken, provider: p.address, serviceId: SERVICE.access });
    const d = await download(p, { assetId: victim.assetId, txHash: o.txHash, as: w.buyer });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    assert.deepEqual(p.store.usedOrders([o.orderId]), [o.orderId]);
  });
});

describe('an order spent on-chain is spent for every instance', () => {
  it('refuses at instance B (same keys, fresh data directory) an order whose job ran at instance A, with ORDER_ALREADY_USED', async () => {
    const o = await w.order({ datatoken: victim.datatoken, provider: p.address });
    const r = await compute(p, { assetId: victim.assetId, txHash: o.txHash, as: w.buyer });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const done = await waitForJob(w, p.url, p.address, r.body.jobId);
    assert.equal(done.receipt.state, 'posted', JSON.stringify(done));
    const onChain = (await w.spentBy(o.orderId))!;
    assert.equal(onChain.toLowerCase(), String(r.body.jobId).toLowerCase());
    const info = (await getDatatoken(victim.datatoken, w.rpc).getFunction('orderInfo')(o.orderId)) as { spent: boolean };
    assert.equal(info.spent, true, 'the datatoken marks the order spent');

    const b = await startProvider(w.providerConfig({ COVE_PROVIDER_DATA_DIR: `${w.dir}/keys-b`, COVE_PROVIDER_X25519_KEY_FILE: sharedX25519(), COVE_PROVIDER_REGISTER: 'false' }));
    try {
      assert.equal(b.address, p.address);
      assert.equal(b.x25519PublicKey, p.x25519PublicKey);
      assert.deepEqual(b.store.usedOrders([o.orderId]), [], "B's own database has never seen the order");
      await refused(b, () => compute(b, { assetId: victim.assetId, txHash: o.txHash, as: w.buyer }), { status: 409, code: 'ORDER_ALREADY_USED', orderId: o.orderId, details: { orderId: o.orderId, jobId: onChain } });
    } finally {
      await b.close({ stopJobs: true });
    }
  });
});
