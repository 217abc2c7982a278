import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { LABEL_ENGINE } from '@cove/c2d-runner';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from '../db/store.js';
import { startProvider, type RunningProvider } from '../start.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWorld, IMAGES, NODE_ALGORITHM, postJson, SERVICE, waitForJob, type World } from './world.js';

let w: World;
let p: RunningProvider;
let nodeImage: string;
let asset: Awaited<ReturnType<World['publish']>>;
/** An asset whose owner approved one spec: NODE_ALGORITHM as main.js on the Node image, its default command. */
let approvedAsset: Awaited<ReturnType<World['publish']>>;
let nonce = 1000n;
const docker = new Docker();

before(async () => {
  w = await createWorld();
  p = await startProvider(w.providerConfig({ COVE_PROVIDER_DATA_DIR: `${w.dir}/attacked`, COVE_BODY_LIMIT_BYTES: String(64 * 1024), COVE_INLINE_CODE_MAX_BYTES: String(16 * 1024), COVE_CODE_FETCH_TIMEOUT_MS: '1500' }));
  nodeImage = await w.imageId(IMAGES.node);
  asset = await w.publish({ provider: providerInfo(), content: 'x\n1\n', allowedImages: [nodeImage] });
  const approved = w.computeRequest({ datasets: [], image: IMAGES.node, nonce: 0n });
  approvedAsset = await w.publish({ provider: providerInfo(), content: 'secret\nrow-1\nrow-2\n', allowedAlgorithms: [approved.algorithmHash] });
});
after(async () => {
  await p?.close({ stopJobs: true });
  await w?.close();
});

function providerInfo() {
  return { address: p.address, url: p.url, x25519PublicKey: p.x25519PublicKey };
}
const jobsInDb = () => p.store.countJobs([...ACTIVE_STATUSES, ...TERMINAL_STATUSES]);
const containers = async () => (await docker.listContainers({ all: true, filters: { label: [`${LABEL_ENGINE}=${p.instanceId}`] } })).length;

async function freshOrder(o: Parameters<World['order']>[0] | undefined = undefined) {
  return w.order(o ?? { datatoken: asset.datatoken, provider: p.address });
}

async function signedBody(o: { txHash: string; assetId?: bigint; serviceId?: number; image?: string; spec?: Record<string, unknown> }) {
  const { request, code } = w.computeRequest({ datasets: [{ assetId: o.assetId ?? asset.assetId, txHash: o.txHash, serviceId: o.serviceId ?? SERVICE.compute }], image: o.image ?? IMAGES.node, nonce: nonce++, ...(o.spec && { spec: o.spec }) });
  return { request, signature: await w.signCompute(p.address, request), algorithmCode: code.toString('base64') };
}

const healthy = async () => assert.equal((await fetch(`${p.url}/v1/health`)).status, 200, 'provider still healthy');

/** Sends `body`, expects `status` + `code`, and that no job reached the database or the engine. */
async function refused(body: unknown, status: number, code: string) {
  await p.idle(); // jobs legitimately accepted earlier have finished and cleaned up
  const before = { jobs: jobsInDb(), containers: await containers() };
  const r = await postJson(`${p.url}/v1/compute`, body);
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.error.code, code);
  assert.equal(jobsInDb(), before.jobs, 'no job recorded');
  assert.equal(await containers(), before.containers, 'no container created');
  await healthy();
  return r;
}

describe('provider attack suite: every forged or malformed request is refused and starts nothing', () => {
  it('missing signature', async () => {
    const { request, algorithmCode } = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ request, algorithmCode }, 400, 'VALIDATION');
  });

  it('invalid signature', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, signature: '0x' + 'ab'.repeat(65) }, 401, 'SIGNATURE_INVALID');
  });

  it('signature by another address', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, signature: await w.signCompute(p.address, b.request, w.stranger) }, 401, 'SIGNATURE_INVALID');
  });

  it('signature for another provider (domain bound to the provider address)', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, signature: await w.signCompute(w.stranger.address, b.request) }, 401, 'SIGNATURE_INVALID');
  });

  it('request tampered with after signing', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, request: { ...b.request, environment: 'default', consumerX25519: '0x' + '00'.repeat(32) } }, 401, 'SIGNATURE_INVALID');
  });

  it('replayed nonce', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    const ok = await postJson(`${p.url}/v1/compute`, b);
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    await refused(b, 409, 'NONCE_REPLAYED');
  });

  it('order for another asset', async () => {
    const other = await w.publish({ provider: providerInfo(), content: 'x\n2\n', allowedImages: [nodeImage] });
    const o = await freshOrder({ datatoken: other.datatoken, provider: p.address });
    await refused(await signedBody({ txHash: o.txHash, assetId: asset.assetId }), 403, 'ORDER_ASSET_MISMATCH');
  });

  it('order to another provider', async () => {
    const o = await freshOrder({ datatoken: asset.datatoken, provider: w.stranger.address });
    await refused(await signedBody({ txHash: o.txHash }), 403, 'ORDER_PROVIDER_MISMATCH');
  });

  it('order of another consumer', async () => {
    const o = await freshOrder({ datatoken: asset.datatoken, provider: p.address, payer: w.stranger });
    await refused(await signedBody({ txHash: o.txHash }), 403, 'ORDER_CONSUMER_MISMATCH');
  });

  it('expired order', async () => {
    const o = await freshOrder({ datatoken: asset.datatoken, provider: p.address, serviceId: SERVICE.shortCompute });
    await w.advanceTime(5);
    await refused(await signedBody({ txHash: o.txHash, serviceId: SERVICE.shortCompute }), 403, 'ORDER_EXPIRED');
  });

  it('order for the access service used for compute', async () => {
    const o = await freshOrder({ datatoken: asset.datatoken, provider: p.address, serviceId: SERVICE.access });
    await refused(await signedBody({ txHash: o.txHash, serviceId: SERVICE.access }), 403, 'SERVICE_NOT_OFFERED');
  });

  it('the same order used twice', async () => {
    const o = await freshOrder();
    const ok = await postJson(`${p.url}/v1/compute`, await signedBody({ txHash: o.txHash }));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    await refused(await signedBody({ txHash: o.txHash }), 409, 'ORDER_ALREADY_USED');
  });

  it('the same order fired five times at once: exactly one 202', async () => {
    const o = await freshOrder();
    const bodies = await Promise.all([1, 2, 3, 4, 5].map(() => signedBody({ txHash: o.txHash })));
    const before = jobsInDb();
    const results = await Promise.all(bodies.map((b) => postJson(`${p.url}/v1/compute`, b)));
    assert.deepEqual(results.map((r) => r.status).sort(), [202, 409, 409, 409, 409]);
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.error.code, 'ORDER_ALREADY_USED');
    assert.equal(jobsInDb(), before + 1);
  });

  it('algorithm image not allowed by the asset', async () => {
    await refused(await signedBody({ txHash: (await freshOrder()).txHash, image: IMAGES.python }), 403, 'ALGORITHM_NOT_ALLOWED');
  });

  it('asset document whose hash does not match the chain', async () => {
    const bad = await w.publish({ provider: providerInfo(), content: 'x\n3\n', allowedImages: [nodeImage], tamper: true });
    const o = await freshOrder({ datatoken: bad.datatoken, provider: p.address });
    await refused(await signedBody({ txHash: o.txHash, assetId: bad.assetId }), 422, 'ASSET_DOCUMENT_MISMATCH');
  });

  it('malformed JSON', async () => {
    await refused('{"request": {', 400, 'MALFORMED_JSON');
  });

  it('wrong types', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, request: { ...b.request, expiry: String(b.request.expiry) } }, 400, 'VALIDATION');
  });

  it('unknown fields', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, request: { ...b.request, algorithm: { ...b.request.algorithm, privileged: true } } }, 400, 'VALIDATION');
  });

  it('oversized body', async () => {
    const b = await signedBody({ txHash: (await freshOrder()).txHash });
    await refused({ ...b, algorithmCode: Buffer.alloc(80 * 1024).toString('base64') }, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('reads of a job by anyone but its consumer', async () => {
    const ok = await postJson(`${p.url}/v1/compute`, await signedBody({ txHash: (await freshOrder()).txHash }));
    assert.equal(ok.status, 202);
    const jobId = ok.body.jobId;
    const r = await fetch(`${p.url}/v1/compute/${jobId}/result`, { headers: await w.accessHeaders(p.address, jobId, 'read', w.stranger) });
    assert.equal(r.status, 403);
    assert.equal(((await r.json()) as any).error.code, 'SIGNER_MISMATCH');
    const stop = await fetch(`${p.url}/v1/compute/${jobId}`, { method: 'DELETE', headers: await w.accessHeaders(p.address, jobId, 'stop', w.stranger) });
    assert.equal(stop.status, 403);
    await p.idle();
  });
});

describe('provider attack suite: only the owner-approved container spec runs', () => {
  // The approved code and image with anything else of the buyer's: each is another algorithm.
  const smuggled: [string, Record<string, unknown>][] = [
    ['a command of the buyer\'s (a one-liner that copies the data out)', { command: ['node', '-e', "require('fs').cpSync('/data/inputs', '/data/outputs', { recursive: true })"] }],
    ['an entrypoint of the buyer\'s', { entrypoint: ['node', '-e', "require('fs').cpSync('/data/inputs', '/data/outputs', { recursive: true })", '--'] }],
    ['an env that makes Node preload the dataset as code', { env: [`NODE_OPTIONS=--require /data/inputs/1/data.csv`] }],
    ['another working directory', { workingDir: '/data/outputs' }],
    ['another user', { user: '1001:1001' }],
  ];
  for (const [what, spec] of smuggled) {
    it(`refuses the approved code with ${what}: ALGORITHM_NOT_ALLOWED, nothing run, the order still usable`, async () => {
      const o = await freshOrder({ datatoken: approvedAsset.datatoken, provider: p.address });
      await refused(await signedBody({ txHash: o.txHash, assetId: approvedAsset.assetId, spec }), 403, 'ALGORITHM_NOT_ALLOWED');
      // The order was not spent: the approved spec runs on it.
      const ok = await postJson(`${p.url}/v1/compute`, await signedBody({ txHash: o.txHash, assetId: approvedAsset.assetId }));
      assert.equal(ok.status, 202, JSON.stringify(ok.body));
      const done = await waitForJob(w, p.url, p.address, ok.body.jobId);
      assert.equal(done.status, 'succeeded', JSON.stringify(done));
    });
  }

  it('refuses, before any engine or network call, an image that would steer the Docker client (and survives a closed port)', async () => {
    const hits: string[] = [];
    const probe = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.writeHead(301, { location: 'http://127.0.0.1:1/' }).end();
    });
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    try {
      for (const image of [`../127.0.0.1:${port}/probe`, `../../127.0.0.1:${port}/v1.43/containers/create`, '../127.0.0.1:1/closed', `sha256:${'a'.repeat(64)}/../../x`]) {
        const o = await freshOrder();
        const r = await refused(await signedBody({ txHash: o.txHash, spec: { image } }), 400, 'VALIDATION');
        assert.match(JSON.stringify(r.body.error.details), /image/);
      }
      // Unsigned junk naming such an image gets the same answer.
      await refused({ request: { ...(await signedBody({ txHash: (await freshOrder()).txHash })).request, algorithm: { image: `../127.0.0.1:${port}/x` } }, signature: '0x' + '11'.repeat(65) }, 400, 'VALIDATION');
      assert.deepEqual(hits, [], 'the provider sent no request anywhere');
    } finally {
      probe.close();
    }
  });

  it('answers the same for an image the host has and one it lacks when the request holds no valid order', async () => {
    const codes = [];
    for (const image of [nodeImage, `sha256:${'e'.repeat(64)}`]) {
      const o = await freshOrder({ datatoken: asset.datatoken, provider: w.stranger.address });
      const r = await refused(await signedBody({ txHash: o.txHash, spec: { image } }), 403, 'ORDER_PROVIDER_MISMATCH');
      codes.push([r.status, r.body.error.code, r.body.error.message]);
    }
    assert.deepEqual(codes[0], codes[1]);
  });

  it('refuses a bundle CID nobody serves with ALGORITHM_CODE_UNAVAILABLE at admission, and runs one that is served', async () => {
    const o = await freshOrder();
    const body = await signedBody({ txHash: o.txHash });
    const missing = { ...body.request, algorithm: { ...body.request.algorithm, codeCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' } };
    await refused({ request: missing, signature: await w.signCompute(p.address, missing) }, 422, 'ALGORITHM_CODE_UNAVAILABLE');
    // The same order, the bundle now on the buyer's node: fetched at admission and run.
    const served = { ...body.request, nonce: String(nonce++), algorithm: { ...body.request.algorithm, codeCid: await w.client.add([Buffer.from(body.algorithmCode, 'base64')]) } };
    const ok = await postJson(`${p.url}/v1/compute`, { request: served, signature: await w.signCompute(p.address, served) });
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    assert.equal((await waitForJob(w, p.url, p.address, ok.body.jobId)).status, 'succeeded');
  });

  it('refuses what could never run before spending anything: NUL in the command, root, a COVE_ variable, a non-bundle', async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ command: ['node', 'a\u0000b'] }, 400, 'VALIDATION'],
      [{ user: '0:0' }, 400, 'VALIDATION'],
      [{ env: ['COVE_OUTPUTS=/data/inputs'] }, 400, 'VALIDATION'],
      [{ workingDir: '/etc' }, 400, 'VALIDATION'],
    ];
    for (const [spec, status, code] of cases) {
      const o = await freshOrder();
      await refused(await signedBody({ txHash: o.txHash, spec }), status, code);
    }
    const o = await freshOrder();
    const body = await signedBody({ txHash: o.txHash });
    await refused({ ...body, algorithmCode: Buffer.from(NODE_ALGORITHM).toString('base64') }, 422, 'ALGORITHM_BUNDLE_INVALID');
    // None of those orders was consumed.
    const ok = await postJson(`${p.url}/v1/compute`, await signedBody({ txHash: o.txHash }));
    assert.equal(ok.status, 202, JSON.stringify(ok.body));
    await p.idle();
  });
});
