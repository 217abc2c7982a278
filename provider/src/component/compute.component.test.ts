import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { decryptStream, openSealedKey, JOB_RUNTIME, JOB_STATUS } from '@cove/sdk';
import { algorithmHash, PIN_REQUEST_TYPES, providerDomain } from '@cove/sdk';
import { startProvider, type RunningProvider } from '../start.js';
import { createWorld, IMAGES, postJson, SERVICE, waitForJob, type World } from './world.js';

let w: World;
let p: RunningProvider;
let nodeImage: string;
let nonce = 1n;

before(async () => {
  w = await createWorld();
  p = await startProvider(w.providerConfig());
  await w.client.dial(p.ipfsAddresses[0]!);
  nodeImage = await w.imageId(IMAGES.node);
});
after(async () => {
  await p?.close({ stopJobs: true });
  await w?.close();
});

const providerInfo = () => ({ address: p.address, url: p.url, x25519PublicKey: p.x25519PublicKey });

async function readBundle(resultCid: string, sealedKey: string): Promise<Map<string, string>> {
  const { key } = openSealedKey({ sealed: sealedKey, secretKey: w.buyerKeys.secretKey });
  const chunks: Uint8Array[] = [];
  for await (const c of decryptStream(w.client.cat(resultCid, { timeoutMs: 20_000 }), { key })) chunks.push(c);
  const dir = mkdtempSync(join(w.dir, 'bundle-'));
  writeFileSync(join(dir, 'b.tar'), Buffer.concat(chunks));
  const names = execFileSync('tar', ['-tf', 'b.tar'], { cwd: dir }).toString().trim().split('\n');
  execFileSync('tar', ['-xf', 'b.tar'], { cwd: dir });
  return new Map(names.map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
}

describe('provider component: compute and download against anvil, Helia and Docker', () => {
  it('registers itself and publishes its identity', async () => {
    const info = (await (await fetch(`${p.url}/v1/info`)).json()) as any;
    assert.equal(info.address, p.address);
    assert.equal(info.x25519PublicKey, p.x25519PublicKey);
    assert.equal(info.chainId, '31337');
    assert.ok(info.environments[0].images.some((i: { id: string }) => i.id === nodeImage));
    assert.equal(await w.c.providerRegistry.getFunction('isRegistered')(p.address), true);
    const registered = (await w.c.providerRegistry.getFunction('getProvider')(p.address)) as { url: string; ipfsAddrs: string };
    assert.equal(registered.url, p.url);
    const addrs = registered.ipfsAddrs.split(' ');
    assert.deepEqual(addrs, p.ipfsAddresses, "the registry lists the IPFS node's multiaddrs");
    for (const a of addrs) assert.match(a, /\/p2p\/[^/]+$/);
  });

  it('runs a job from order to an encrypted result and a receipt on-chain', async () => {
    const a = await w.publish({ provider: providerInfo(), content: 'x,y\n1,2\n3,4\n5,6\n', allowedImages: [nodeImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address });
    const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: nonce++ });
    const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const { jobId } = r.body;

    const status = await waitForJob(w, p.url, p.address, jobId);
    assert.equal(status.status, 'succeeded', JSON.stringify(status));
    assert.deepEqual(status.transitions.map((t: { status: string }) => t.status), ['queued', 'preparing', 'running', 'publishing', 'succeeded']);
    assert.equal(status.receipt.state, 'posted');
    assert.ok(['runc', 'runsc'].includes(status.runtime), `runtime: ${status.runtime}`);

    const result = (await (await fetch(`${p.url}/v1/compute/${jobId}/result`, { headers: await w.accessHeaders(p.address, jobId) })).json()) as any;
    const files = await readBundle(result.resultCid, result.sealedKey);
    assert.deepEqual(JSON.parse(files.get('metrics.json')!), { rows: 3 });
    // The same root block over plain HTTP (the auditor's path without an IPFS stack) as bitswap gave the buyer's node, hash-checked on arrival.
    const raw = await fetch(`${p.url}/ipfs/${result.resultCid}?format=raw`);
    assert.equal(raw.status, 200);
    assert.deepEqual(Buffer.from(await raw.arrayBuffer()), Buffer.from((await w.client.block(result.resultCid))!));
    const bad = await fetch(`${p.url}/ipfs/not-a-cid?format=raw`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.code, 'VALIDATION');
    assert.deepEqual(result.manifest.files.map((f: { path: string }) => f.path), ['metrics.json']);

    const logs = (await (await fetch(`${p.url}/v1/compute/${jobId}/logs`, { headers: await w.accessHeaders(p.address, jobId) })).json()) as any;
    assert.match(logs.logs, /counted 3/);

    const onChain = await w.recordedJob(jobId);
    assert.equal(onChain.txHash, status.receipt.txHash);
    assert.equal(onChain.root, status.receipt.root, 'a batch of one: its root is the receipt leaf');
    assert.equal(onChain.blockNumber, status.receipt.blockNumber);
    assert.equal(onChain.batch.count, 1);
    assert.equal(onChain.consumer, w.buyer.address, "the order's consumer is signed into the receipt");
    assert.equal(onChain.outputsHash, result.outputsHash);
    assert.equal(onChain.resultCid, result.resultCid);
    assert.equal(onChain.status, JOB_STATUS.succeeded);
    assert.equal(Number(onChain.runtime), JOB_RUNTIME[status.runtime as 'runc' | 'runsc'], 'the receipt signs the runtime the job ran under');
    assert.deepEqual([...onChain.orderIds], [o.orderId]);
    assert.equal(onChain.algorithmImageDigest, '0x' + nodeImage.slice('sha256:'.length));
    assert.equal(onChain.algorithmCodeHash, request.algorithm.codeHash);
    const { codeCid: _cid, ...spec } = request.algorithm;
    assert.equal(onChain.algorithmHash, algorithmHash(spec), 'the receipt names the whole spec that ran');
    assert.equal(onChain.batch.provider, p.address);
    const tx = await w.rpc.getTransactionReceipt(status.receipt.txHash);
    assert.equal(tx?.status, 1);
  });

  it('runs an asset that requires gVisor under runsc and signs so; a runc provider refuses it with RUNTIME_UNAVAILABLE before queuing', async () => {
    const info = (await (await fetch(`${p.url}/v1/info`)).json()) as any;
    const a = await w.publish({ provider: providerInfo(), content: 'x,y\n1,2\n', allowedImages: [nodeImage], requireRuntime: 'runsc' });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address });
    // The same signing identity on a second data dir (its own X25519 key) with runc only, holding an asset sealed to it.
    const runc = await startProvider(w.providerConfig({ COVE_RUNTIME: 'runc', COVE_PROVIDER_DATA_DIR: join(w.dir, 'provider-runc') }));
    try {
      assert.equal(((await (await fetch(`${runc.url}/v1/info`)).json()) as any).runtime, 'runc');
      const b = await w.publish({ provider: { address: runc.address, url: runc.url, x25519PublicKey: runc.x25519PublicKey }, content: 'x,y\n3,4\n', allowedImages: [nodeImage], requireRuntime: 'runsc' });
      const ob = await w.order({ datatoken: b.datatoken, provider: runc.address });
      const { request, code } = w.computeRequest({ datasets: [{ assetId: b.assetId, txHash: ob.txHash }], image: IMAGES.node, nonce: nonce++ });
      const refused = await postJson(`${runc.url}/v1/compute`, { request, signature: await w.signCompute(runc.address, request), algorithmCode: code.toString('base64') });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.equal(refused.body.error.code, 'RUNTIME_UNAVAILABLE');
      const health = (await (await fetch(`${runc.url}/v1/health`)).json()) as any;
      assert.deepEqual(health.jobs, { waiting: 0, active: 0 }, 'nothing was queued');
      if (info.runtime !== 'runsc') return; // this host has no gVisor: the refusal is all there is to see
      const again = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: nonce++ });
      const r = await postJson(`${p.url}/v1/compute`, { request: again.request, signature: await w.signCompute(p.address, again.request), algorithmCode: again.code.toString('base64') });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const status = await waitForJob(w, p.url, p.address, r.body.jobId);
      assert.equal(status.status, 'succeeded', JSON.stringify(status));
      assert.equal(status.runtime, 'runsc');
      const onChain = await w.recordedJob(r.body.jobId);
      assert.equal(Number(onChain.runtime), JOB_RUNTIME.runsc);
    } finally {
      await runc.close({ stopJobs: true });
    }
  });

  it('trains a scikit-learn model in the Python image and releases the model and its metrics', async () => {
    const pythonImage = await w.imageId(IMAGES.python);
    const rows = Array.from({ length: 80 }, (_, i) => {
      const label = i % 2;
      return `${(label * 3 + ((i * 37) % 11) / 10).toFixed(2)},${(label * -2 + ((i * 53) % 7) / 10).toFixed(2)},${label}`;
    });
    const a = await w.publish({ provider: providerInfo(), content: `f1,f2,label\n${rows.join('\n')}\n`, allowedImages: [pythonImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address });
    const code = readFileSync(fileURLToPath(new URL('../../../examples/algorithms/train-logreg/algorithm.py', import.meta.url)));
    const { request, code: bundle } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.python, nonce: nonce++, code, fileName: 'train.py' });
    const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: bundle.toString('base64') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const status = await waitForJob(w, p.url, p.address, r.body.jobId);
    assert.equal(status.status, 'succeeded', JSON.stringify(status));
    const result = (await (await fetch(`${p.url}/v1/compute/${r.body.jobId}/result`, { headers: await w.accessHeaders(p.address, r.body.jobId) })).json()) as any;
    assert.deepEqual(result.manifest.files.map((f: { path: string }) => f.path), ['metrics.json', 'model.json']);
    const metrics = JSON.parse((await readBundle(result.resultCid, result.sealedKey)).get('metrics.json')!);
    assert.equal(metrics.rows, 80);
    assert.ok(metrics.accuracy > 0.9, JSON.stringify(metrics));
  });

  it('runs one job over two datasets, one order each, and records both in the receipt', async () => {
    const a = await w.publish({ provider: providerInfo(), content: 'x\n1\n2\n', allowedImages: [nodeImage] });
    const b = await w.publish({ provider: providerInfo(), content: 'x\n1\n2\n3\n', allowedImages: [nodeImage] });
    const oa = await w.order({ datatoken: a.datatoken, provider: p.address });
    const ob = await w.order({ datatoken: b.datatoken, provider: p.address });
    const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: oa.txHash }, { assetId: b.assetId, txHash: ob.txHash }], image: IMAGES.node, nonce: nonce++ });
    const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const status = await waitForJob(w, p.url, p.address, r.body.jobId);
    assert.equal(status.status, 'succeeded');
    const result = (await (await fetch(`${p.url}/v1/compute/${r.body.jobId}/result`, { headers: await w.accessHeaders(p.address, r.body.jobId) })).json()) as any;
    assert.deepEqual(JSON.parse((await readBundle(result.resultCid, result.sealedKey)).get('metrics.json')!), { rows: 5 });
    const onChain = await w.recordedJob(r.body.jobId);
    assert.deepEqual([...onChain.assetIds], [a.assetId, b.assetId]);
    assert.deepEqual([...onChain.orderIds], [oa.orderId, ob.orderId]);
  });

  it('posts a receipt with a zero outputs hash for a job that fails, and serves its log tail', async () => {
    const a = await w.publish({ provider: providerInfo(), content: 'x\n1\n', allowedImages: [nodeImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address });
    const crash = `console.log('read 1 row'); console.error('TypeError: model.fit is not a function'); process.exit(3);`;
    const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: nonce++, code: Buffer.from(crash) });
    const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') });
    assert.equal(r.status, 202);
    const status = await waitForJob(w, p.url, p.address, r.body.jobId);
    assert.equal(status.status, 'failed');
    assert.equal(status.receipt.state, 'posted');
    const onChain = await w.recordedJob(r.body.jobId);
    assert.equal(onChain.status, JOB_STATUS.failed);
    assert.equal(onChain.outputsHash, '0x' + '0'.repeat(64));
    const logs = await fetch(`${p.url}/v1/compute/${r.body.jobId}/logs`, { headers: await w.accessHeaders(p.address, r.body.jobId) });
    assert.equal(logs.status, 200);
    assert.deepEqual(await logs.json(), { jobId: r.body.jobId, status: 'failed', logs: 'read 1 row\n\n--- stderr ---\nTypeError: model.fit is not a function\n' });
  });

  it("withholds a failed job's log tail that repeats its dataset, saying so in the status", async () => {
    const row = Array.from({ length: 12 }, () => Math.random().toFixed(8)).join(',');
    const a = await w.publish({ provider: providerInfo(), content: `${row}\n`, allowedImages: [nodeImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address });
    const leak = `const fs = require('fs'); const d = '/data/inputs/' + fs.readdirSync('/data/inputs')[0]; console.log(fs.readFileSync(d + '/' + fs.readdirSync(d)[0], 'latin1')); process.exit(1);`;
    const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: nonce++, code: Buffer.from(leak) });
    const r = await postJson(`${p.url}/v1/compute`, { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') });
    assert.equal(r.status, 202);
    const status = await waitForJob(w, p.url, p.address, r.body.jobId);
    assert.equal(status.status, 'failed');
    assert.match(status.reason, /^exit code 1; logs withheld: leak guard: logs:stdout repeats/);
    const logs = (await (await fetch(`${p.url}/v1/compute/${r.body.jobId}/logs`, { headers: await w.accessHeaders(p.address, r.body.jobId) })).json()) as any;
    assert.equal(logs.logs, '');
  });

  it('grants a download: the content key re-sealed to the buyer, who decrypts the dataset from IPFS', async () => {
    const content = 'a,b\n7,8\n';
    const a = await w.publish({ provider: providerInfo(), content, allowedImages: [nodeImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: p.address, serviceId: SERVICE.access });
    const request = {
      consumer: w.buyer.address,
      datasets: [{ assetId: String(a.assetId), serviceId: String(SERVICE.access), orderTxHash: o.txHash }],
      consumerX25519: '0x' + Buffer.from(w.buyerKeys.publicKey).toString('hex'),
      nonce: String(nonce++),
      expiry: Math.floor(Date.now() / 1000) + 600,
    };
    const r = await postJson(`${p.url}/v1/download`, { request, signature: await w.signDownload(p.address, request) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const grant = r.body.datasets[0];
    const { key } = openSealedKey({ sealed: grant.sealedKey, secretKey: w.buyerKeys.secretKey });
    const chunks: Uint8Array[] = [];
    for await (const c of decryptStream(w.client.cat(grant.encryptedContentCid), { key, expectedContentHash: grant.contentHash })) chunks.push(c);
    assert.equal(Buffer.concat(chunks).toString(), content);
    const again = await postJson(`${p.url}/v1/download`, { request: { ...request, nonce: String(nonce++) }, signature: await w.signDownload(p.address, { ...request, nonce: String(nonce - 1n) }) });
    assert.equal(again.body.error.code, 'ORDER_ALREADY_USED');
  });

  it("pins a publisher's content from its node on a signed request", async () => {
    const a = await w.publish({ provider: providerInfo(), content: 'p\n1\n', allowedImages: [nodeImage] });
    const request = { publisher: w.publisher.address, cids: [a.document.cid], from: w.client.multiaddrs(), nonce: String(nonce++), expiry: Math.floor(Date.now() / 1000) + 600 };
    const signature = await w.publisher.signTypedData(providerDomain({ chainId: w.cove.chainId, provider: p.address }), PIN_REQUEST_TYPES, request);
    const r = await postJson(`${p.url}/v1/pin`, { request, signature });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.pinned, [a.document.cid]);
    const replay = await postJson(`${p.url}/v1/pin`, { request, signature });
    assert.equal(replay.body.error.code, 'NONCE_REPLAYED');
  });
});
