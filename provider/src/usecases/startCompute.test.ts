import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProviderError, type ProviderErrorCode } from '../errors.js';
import { algorithmHash, bundleFiles, type AlgorithmSpec } from '@cove/sdk';
import { ACCESS_SERVICE, BUNDLE, CODE_HASH, createScenario, IMAGE_ID, OTHER_IMAGE_ID, SPEC, type Scenario } from '../testing/scenario.js';
import { startCompute, type StartComputeDeps, type StoredJobSpec } from './startCompute.js';

function deps(s: Scenario, o: Partial<StartComputeDeps> = {}): StartComputeDeps & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    chain: s.fchain.chain,
    documents: s.documents.port,
    crypto: s.crypto,
    store: s.store,
    engine: s.fengine.engine,
    storage: s.storage,
    providerAddress: s.provider.address,
    dataNft: s.dataNft,
    queue: { hasRoom: () => true, enqueue: (id) => enqueued.push(id) },
    domain: s.domain,
    environments: s.environments,
    maxTtlSeconds: 3600,
    inlineCodeMaxBytes: 4096,
    codeMaxBytes: 1 << 20,
    runtime: 'runc',
    enqueued,
    ...o,
  };
}

const code = (c: ProviderErrorCode) => (e: unknown) => isProviderError(e, c);

async function setup() {
  const s = createScenario();
  const a = await s.addAsset();
  const o = s.order(a.assetId);
  const request = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }]);
  return { s, a, o, request, d: deps(s) };
}

/** Asserts that a refused request left no trace: no job, no order use, no enqueue. */
function assertNothingStarted(s: Scenario, d: { enqueued: string[] }, orderIds: string[]) {
  assert.equal(d.enqueued.length, 0);
  assert.equal(s.store.countJobs(['queued', 'preparing', 'running']), 0);
  assert.deepEqual(s.store.usedOrders(orderIds), []);
}

const MISSING_CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

/** Parts of the container spec changed from the approved one: each makes another algorithm. */
const respecs: [string, Partial<AlgorithmSpec>][] = [
  ['a command of the buyer\'s', { command: ['python3', '-c', 'print(open("/data/inputs/1/data.csv").read())'] }],
  ['an entrypoint of the buyer\'s', { entrypoint: ['/bin/sh', '-c'] }],
  ['an extra environment variable', { env: ['PYTHONSTARTUP=/data/inputs/1/data.csv'] }],
  ['another working directory', { workingDir: '/data/outputs' }],
  ['another user', { user: '1001:1001' }],
];

/** Specs no provider may run, whatever the policy. */
const badSpecs: [string, Partial<AlgorithmSpec>][] = [
  ['an image reference instead of an ID', { image: 'cove/python' }],
  ['a path-steering image', { image: '../127.0.0.1:9/probe' }],
  ['a NUL in the command', { command: ['python3', 'a\0b'] }],
  ['root as user', { user: '0:0' }],
  ['a COVE_ variable', { env: ['COVE_OUTPUTS=/tmp'] }],
  ['unsorted env', { env: ['B=1', 'A=2'] }],
  ['a working dir outside the job', { workingDir: '/etc' }],
  ['an empty command', { command: [] }],
];

describe('startCompute', () => {
  it('admits a valid request: records the queued job, consumes the order and the nonce', async () => {
    const { s, o, request, d } = await setup();
    const { jobId } = await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: BUNDLE });
    assert.match(jobId, /^0x[0-9a-f]{64}$/);
    // The id commits to this provider (ComputeReceipts requires its top 20 bytes to be the signer).
    assert.equal(jobId.slice(0, 42), s.provider.address.toLowerCase());
    assert.deepEqual(d.enqueued, [jobId]);
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'queued');
    assert.equal(job.consumer, s.consumer.address.toLowerCase());
    const spec = job.request as StoredJobSpec;
    assert.equal(spec.datasets[0]!.orderId, o.orderId);
    assert.equal(spec.request.algorithm.image, IMAGE_ID);
    assert.equal(spec.algorithmHash, algorithmHash(SPEC));
    assert.equal(spec.anyAlgorithm, false);
    assert.deepEqual(s.store.usedOrders([o.orderId]), [o.orderId]);
    assert.equal(s.store.lastNonce(s.consumer.address), BigInt(request.nonce));
  });

  it('runs one job over several datasets, one order each', async () => {
    const { s, a, o, d } = await setup();
    const b = await s.addAsset();
    const ob = s.order(b.assetId);
    const request = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }, { assetId: b.assetId, txHash: ob.txHash }]);
    const { jobId } = await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: BUNDLE });
    assert.deepEqual((s.store.getJob(jobId)!.request as StoredJobSpec).datasets.map((x) => x.assetId), [String(a.assetId), String(b.assetId)]);
    assert.equal(s.store.usedOrders([o.orderId, ob.orderId]).length, 2);
  });

  const refusals: [string, ProviderErrorCode, (x: Awaited<ReturnType<typeof setup>>) => Promise<Parameters<typeof startCompute>[1]>][] = [
    ['a malformed signature', 'SIGNATURE_INVALID', async ({ request }) => ({ request, signature: '0x1234', inlineCode: BUNDLE })],
    ['a signature by another address', 'SIGNATURE_INVALID', async ({ s, request }) => ({ request, signature: await s.signCompute(request, s.stranger), inlineCode: BUNDLE })],
    ['a request tampered with after signing', 'SIGNATURE_INVALID', async ({ s, request }) => {
      const signature = await s.signCompute(request);
      return { request: { ...request, algorithm: { ...request.algorithm, image: 'cove/other' } }, signature, inlineCode: BUNDLE };
    }],
    ['an expired signature', 'SIGNATURE_EXPIRED', async ({ s, request }) => {
      const r = { ...request, expiry: Math.floor(Date.now() / 1000) - 1 };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an expiry too far ahead', 'VALIDATION', async ({ s, request }) => {
      const r = { ...request, expiry: Math.floor(Date.now() / 1000) + 10 * 3600 };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an order of another asset', 'ORDER_ASSET_MISMATCH', async ({ s, a }) => {
      const b = await s.addAsset();
      const ob = s.order(b.assetId);
      const r = s.computeRequest([{ assetId: a.assetId, txHash: ob.txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an order to another provider', 'ORDER_PROVIDER_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { provider: s.stranger.address }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an order of another consumer', 'ORDER_CONSUMER_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { consumer: s.stranger.address }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an expired order', 'ORDER_EXPIRED', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { validUntil: s.fchain.state.now - 1n }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an order for another service', 'ORDER_SERVICE_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { serviceId: ACCESS_SERVICE }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['a transaction without any order', 'ORDER_NOT_FOUND', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: '0x' + '9'.repeat(64) }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an access service used for compute', 'SERVICE_NOT_OFFERED', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { serviceId: ACCESS_SERVICE }).txHash, serviceId: ACCESS_SERVICE }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an algorithm image the asset does not allow', 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, image: OTHER_IMAGE_ID } };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ...respecs.map(([what, change]): (typeof refusals)[number] => [`the approved code with ${what}`, 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, ...change } };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }]),
    ...badSpecs.map(([what, change]): (typeof refusals)[number] => [`a spec with ${what}`, 'VALIDATION', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, ...change } };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }]),
    ['algorithm code the asset does not allow', 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const other = bundleFiles(new Map([['main.py', Buffer.from('evil()')]]));
      const r = { ...request, algorithm: { ...request.algorithm, codeHash: other.codeHash } };
      return { request: r, signature: await s.signCompute(r), inlineCode: other.bytes };
    }],
    ['a working dir that is no folder of the bundle', 'ALGORITHM_BUNDLE_INVALID', async ({ s }) => {
      const lost = { ...SPEC, workingDir: '/data/transformations/algorithm/src' };
      const a = await s.addAsset({ compute: { allowedAlgorithms: [algorithmHash(lost)] } });
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }], { algorithm: { ...lost, codeCid: '' } });
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an inline bundle that is not a bundle', 'ALGORITHM_BUNDLE_INVALID', async ({ s, request }) => ({ request, signature: await s.signCompute(request), inlineCode: Buffer.from('print(1)\n') })],
    ['an approved image absent from this host', 'ALGORITHM_IMAGE_UNAVAILABLE', async ({ s }) => {
      const absent = { ...SPEC, image: 'sha256:' + 'd'.repeat(64) };
      const a = await s.addAsset({ compute: { allowedAlgorithms: [algorithmHash(absent)] } });
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }], { algorithm: { ...absent, codeCid: '' } });
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['a codeCid that is not a CID', 'VALIDATION', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, codeCid: 'not-a-cid' } };
      return { request: r, signature: await s.signCompute(r) };
    }],
    ['a codeCid nobody serves', 'ALGORITHM_CODE_UNAVAILABLE', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, codeCid: MISSING_CID } };
      return { request: r, signature: await s.signCompute(r) };
    }],
    ['an inline bundle that does not match codeHash', 'ALGORITHM_CODE_MISMATCH', async ({ s, request }) => ({ request, signature: await s.signCompute(request), inlineCode: bundleFiles(new Map([['main.py', Buffer.from('other')]])).bytes })],
    ['inline code over the size cap', 'ALGORITHM_CODE_TOO_LARGE', async ({ s, request }) => ({ request, signature: await s.signCompute(request), inlineCode: Buffer.alloc(8192) })],
    ['neither inline code nor a code CID', 'VALIDATION', async ({ s, request }) => ({ request, signature: await s.signCompute(request) })],
    ['an unknown environment', 'ENVIRONMENT_NOT_FOUND', async ({ s, request }) => {
      const r = { ...request, environment: 'gpu' };
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an asset document whose hash does not match the chain', 'ASSET_DOCUMENT_MISMATCH', async ({ s }) => {
      const t = await s.addAsset({ tamperDocument: true });
      const r = s.computeRequest([{ assetId: t.assetId, txHash: s.order(t.assetId).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
    ['an unknown asset', 'ASSET_NOT_FOUND', async ({ s, o }) => {
      const r = s.computeRequest([{ assetId: 999n, txHash: o.txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE };
    }],
  ];
  for (const [what, expected, make] of refusals) {
    it(`refuses ${what} with ${expected} and starts nothing`, async () => {
      const x = await setup();
      await assert.rejects(startCompute(x.d, await make(x)), code(expected));
      assertNothingStarted(x.s, x.d, [x.o.orderId]);
    });
  }

  it('refuses a replayed nonce even with a fresh order', async () => {
    const { s, a, request, d } = await setup();
    await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: BUNDLE });
    const again = { ...s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]), nonce: request.nonce };
    await assert.rejects(startCompute(d, { request: again, signature: await s.signCompute(again), inlineCode: BUNDLE }), code('NONCE_REPLAYED'));
    assert.equal(d.enqueued.length, 1);
  });

  it('uses an order once, also when two requests race for it', async () => {
    const { s, a, o, d } = await setup();
    const reqs = [1, 2, 3].map(() => s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }]));
    const results = await Promise.allSettled(reqs.map(async (r) => startCompute(d, { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.code, 'ORDER_ALREADY_USED');
    assert.equal(d.enqueued.length, 1);
    assert.equal(s.store.countJobs(['queued']), 1);
  });

  it('consumes nothing when one dataset of several fails its check', async () => {
    const { s, a, o, d } = await setup();
    const b = await s.addAsset();
    const bad = s.order(b.assetId, { consumer: s.stranger.address });
    const r = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }, { assetId: b.assetId, txHash: bad.txHash }]);
    await assert.rejects(startCompute(d, { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE }), code('ORDER_CONSUMER_MISMATCH'));
    assertNothingStarted(s, d, [o.orderId, bad.orderId]);
    assert.equal(s.store.lastNonce(s.consumer.address), undefined);
  });

  it('refuses with QUEUE_FULL without consuming the order, which stays usable', async () => {
    const { s, o, request } = await setup();
    const full = deps(s, { queue: { hasRoom: () => false, enqueue: () => assert.fail('must not enqueue') } });
    await assert.rejects(startCompute(full, { request, signature: await s.signCompute(request), inlineCode: BUNDLE }), code('QUEUE_FULL'));
    assert.deepEqual(s.store.usedOrders([o.orderId]), []);
    const d = deps(s);
    await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: BUNDLE });
    assert.equal(d.enqueued.length, 1);
  });

  it('accepts any spec where the asset allows any algorithm, marks the job so, and still checks the image', async () => {
    const s = createScenario();
    const a = await s.addAsset({ compute: { allowAnyAlgorithm: true, allowedAlgorithms: [], allowedImages: [IMAGE_ID] } });
    const other = bundleFiles(new Map([['main.py', Buffer.from('anything goes')]]));
    const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
    const req = { ...r, algorithm: { ...r.algorithm, codeHash: other.codeHash, command: ['python3', '-c', 'print(1)'] } };
    const d = deps(s);
    const { jobId } = await startCompute(d, { request: req, signature: await s.signCompute(req), inlineCode: other.bytes });
    assert.equal((s.store.getJob(jobId)!.request as StoredJobSpec).anyAlgorithm, true);
    const bad = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
    const badReq = { ...bad, algorithm: { ...bad.algorithm, codeHash: other.codeHash, image: OTHER_IMAGE_ID } };
    await assert.rejects(startCompute(d, { request: badReq, signature: await s.signCompute(badReq), inlineCode: other.bytes }), code('ALGORITHM_NOT_ALLOWED'));
  });

  it('refuses an asset that requires gVisor on a runc provider with RUNTIME_UNAVAILABLE, spending and queuing nothing; a runsc provider admits it', async () => {
    const s = createScenario();
    const a = await s.addAsset({ compute: { requireRuntime: 'runsc' } });
    const o = s.order(a.assetId);
    const request = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }]);
    const onRunc = deps(s);
    await assert.rejects(startCompute(onRunc, { request, signature: await s.signCompute(request), inlineCode: BUNDLE }), (e: unknown) => {
      assert.ok(isProviderError(e, 'RUNTIME_UNAVAILABLE'));
      assert.deepEqual(e.details, { assetId: String(a.assetId), required: 'runsc', runtime: 'runc' });
      return true;
    });
    assertNothingStarted(s, onRunc, [o.orderId]);
    const again = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }]);
    const onRunsc = deps(s, { runtime: 'runsc' });
    await startCompute(onRunsc, { request: again, signature: await s.signCompute(again), inlineCode: BUNDLE });
    assert.equal(onRunsc.enqueued.length, 1);
  });

  it('fetches a bundle given by codeCid only after the orders are checked, and admits it when it matches', async () => {
    const { s, a, request, d } = await setup();
    const cid = MISSING_CID.replace(/y$/, 'a');
    const reads: string[] = [];
    const storage = { ...s.storage, cat: (c: string, o?: { signal?: AbortSignal }) => (reads.push(c), s.storage.cat(c, o)) };
    s.storage.blobs.set(cid, BUNDLE);
    const byCid = { ...request, algorithm: { ...request.algorithm, codeCid: cid } };
    const forged = { ...s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { consumer: s.stranger.address }).txHash }]), algorithm: byCid.algorithm };
    await assert.rejects(startCompute({ ...d, storage }, { request: forged, signature: await s.signCompute(forged) }), code('ORDER_CONSUMER_MISMATCH'));
    assert.deepEqual(reads, [], 'nothing fetched for a request without a valid order');
    const { jobId } = await startCompute({ ...d, storage }, { request: byCid, signature: await s.signCompute(byCid) });
    assert.deepEqual(reads, [cid]);
    assert.equal((s.store.getJob(jobId)!.request as StoredJobSpec).inlineCode, undefined);
    assert.equal(byCid.algorithm.codeHash, CODE_HASH);
  });

  it('asks the engine about images only for requests whose orders passed (absent and present images answer alike)', async () => {
    const s = createScenario();
    const a = await s.addAsset();
    const asked: string[] = [];
    const d = deps(s, { engine: { resolveImage: async (ref) => (asked.push(ref), s.fengine.engine.resolveImage(ref)) } });
    for (const image of [IMAGE_ID, 'sha256:' + 'e'.repeat(64)]) {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { consumer: s.stranger.address }).txHash }], { algorithm: { ...SPEC, image, codeCid: '' } });
      await assert.rejects(startCompute(d, { request: r, signature: await s.signCompute(r), inlineCode: BUNDLE }), code('ORDER_CONSUMER_MISMATCH'));
    }
    assert.deepEqual(asked, []);
  });
});
