import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isProviderError, type ProviderErrorCode } from '../errors.js';
import { algorithmCodeHash } from '@cove/sdk';
import { ACCESS_SERVICE, CODE, createScenario, type Scenario } from '../testing/scenario.js';
import { startCompute, type StartComputeDeps, type StoredJobSpec } from './startCompute.js';

function deps(s: Scenario, o: Partial<StartComputeDeps> = {}): StartComputeDeps & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    chain: s.fchain.chain,
    documents: s.documents.port,
    crypto: s.crypto,
    store: s.store,
    engine: s.fengine.engine,
    providerAddress: s.provider.address,
    dataNft: s.dataNft,
    queue: { hasRoom: () => true, enqueue: (id) => enqueued.push(id) },
    domain: s.domain,
    environments: s.environments,
    maxTtlSeconds: 3600,
    inlineCodeMaxBytes: 1024,
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

describe('startCompute', () => {
  it('admits a valid request: records the queued job, consumes the order and the nonce', async () => {
    const { s, o, request, d } = await setup();
    const { jobId } = await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: CODE });
    assert.match(jobId, /^0x[0-9a-f]{64}$/);
    assert.deepEqual(d.enqueued, [jobId]);
    const job = s.store.getJob(jobId)!;
    assert.equal(job.status, 'queued');
    assert.equal(job.consumer, s.consumer.address.toLowerCase());
    const spec = job.request as StoredJobSpec;
    assert.equal(spec.datasets[0]!.orderId, o.orderId);
    assert.equal(spec.imageId, 'sha256:' + 'b'.repeat(64));
    assert.deepEqual(s.store.usedOrders([o.orderId]), [o.orderId]);
    assert.equal(s.store.lastNonce(s.consumer.address), BigInt(request.nonce));
  });

  it('runs one job over several datasets, one order each', async () => {
    const { s, a, o, d } = await setup();
    const b = await s.addAsset();
    const ob = s.order(b.assetId);
    const request = s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }, { assetId: b.assetId, txHash: ob.txHash }]);
    const { jobId } = await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: CODE });
    assert.deepEqual((s.store.getJob(jobId)!.request as StoredJobSpec).datasets.map((x) => x.assetId), [String(a.assetId), String(b.assetId)]);
    assert.equal(s.store.usedOrders([o.orderId, ob.orderId]).length, 2);
  });

  const refusals: [string, ProviderErrorCode, (x: Awaited<ReturnType<typeof setup>>) => Promise<Parameters<typeof startCompute>[1]>][] = [
    ['a malformed signature', 'SIGNATURE_INVALID', async ({ request }) => ({ request, signature: '0x1234', inlineCode: CODE })],
    ['a signature by another address', 'SIGNATURE_INVALID', async ({ s, request }) => ({ request, signature: await s.signCompute(request, s.stranger), inlineCode: CODE })],
    ['a request tampered with after signing', 'SIGNATURE_INVALID', async ({ s, request }) => {
      const signature = await s.signCompute(request);
      return { request: { ...request, algorithm: { ...request.algorithm, image: 'cove/other' } }, signature, inlineCode: CODE };
    }],
    ['an expired signature', 'SIGNATURE_EXPIRED', async ({ s, request }) => {
      const r = { ...request, expiry: Math.floor(Date.now() / 1000) - 1 };
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an expiry too far ahead', 'VALIDATION', async ({ s, request }) => {
      const r = { ...request, expiry: Math.floor(Date.now() / 1000) + 10 * 3600 };
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an order of another asset', 'ORDER_ASSET_MISMATCH', async ({ s, a }) => {
      const b = await s.addAsset();
      const ob = s.order(b.assetId);
      const r = s.computeRequest([{ assetId: a.assetId, txHash: ob.txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an order to another provider', 'ORDER_PROVIDER_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { provider: s.stranger.address }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an order of another consumer', 'ORDER_CONSUMER_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { consumer: s.stranger.address }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an expired order', 'ORDER_EXPIRED', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { validUntil: s.fchain.state.now - 1n }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an order for another service', 'ORDER_SERVICE_MISMATCH', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { serviceId: ACCESS_SERVICE }).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['a transaction without any order', 'ORDER_NOT_FOUND', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: '0x' + '9'.repeat(64) }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an access service used for compute', 'SERVICE_NOT_OFFERED', async ({ s, a }) => {
      const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId, { serviceId: ACCESS_SERVICE }).txHash, serviceId: ACCESS_SERVICE }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an algorithm image the asset does not allow', 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, image: 'cove/other' } };
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an image absent from the provider', 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const r = { ...request, algorithm: { ...request.algorithm, image: 'nope:latest' } };
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['algorithm code the asset does not allow', 'ALGORITHM_NOT_ALLOWED', async ({ s, request }) => {
      const other = Buffer.from('evil()');
      const r = { ...request, algorithm: { ...request.algorithm, codeHash: algorithmCodeHash({ fileName: 'main.py', code: other }) } };
      return { request: r, signature: await s.signCompute(r), inlineCode: other };
    }],
    ['inline code that does not match its hash', 'ALGORITHM_CODE_MISMATCH', async ({ s, request }) => ({ request, signature: await s.signCompute(request), inlineCode: Buffer.from('other') })],
    ['inline code over the size cap', 'ALGORITHM_CODE_TOO_LARGE', async ({ s, request }) => ({ request, signature: await s.signCompute(request), inlineCode: Buffer.alloc(2048) })],
    ['neither inline code nor a code CID', 'VALIDATION', async ({ s, request }) => ({ request, signature: await s.signCompute(request) })],
    ['an unknown environment', 'ENVIRONMENT_NOT_FOUND', async ({ s, request }) => {
      const r = { ...request, environment: 'gpu' };
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an asset document whose hash does not match the chain', 'ASSET_DOCUMENT_MISMATCH', async ({ s }) => {
      const t = await s.addAsset({ tamperDocument: true });
      const r = s.computeRequest([{ assetId: t.assetId, txHash: s.order(t.assetId).txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
    }],
    ['an unknown asset', 'ASSET_NOT_FOUND', async ({ s, o }) => {
      const r = s.computeRequest([{ assetId: 999n, txHash: o.txHash }]);
      return { request: r, signature: await s.signCompute(r), inlineCode: CODE };
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
    await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: CODE });
    const again = { ...s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]), nonce: request.nonce };
    await assert.rejects(startCompute(d, { request: again, signature: await s.signCompute(again), inlineCode: CODE }), code('NONCE_REPLAYED'));
    assert.equal(d.enqueued.length, 1);
  });

  it('uses an order once, also when two requests race for it', async () => {
    const { s, a, o, d } = await setup();
    const reqs = [1, 2, 3].map(() => s.computeRequest([{ assetId: a.assetId, txHash: o.txHash }]));
    const results = await Promise.allSettled(reqs.map(async (r) => startCompute(d, { request: r, signature: await s.signCompute(r), inlineCode: CODE })));
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
    await assert.rejects(startCompute(d, { request: r, signature: await s.signCompute(r), inlineCode: CODE }), code('ORDER_CONSUMER_MISMATCH'));
    assertNothingStarted(s, d, [o.orderId, bad.orderId]);
    assert.equal(s.store.lastNonce(s.consumer.address), undefined);
  });

  it('refuses with QUEUE_FULL without consuming the order, which stays usable', async () => {
    const { s, o, request } = await setup();
    const full = deps(s, { queue: { hasRoom: () => false, enqueue: () => assert.fail('must not enqueue') } });
    await assert.rejects(startCompute(full, { request, signature: await s.signCompute(request), inlineCode: CODE }), code('QUEUE_FULL'));
    assert.deepEqual(s.store.usedOrders([o.orderId]), []);
    const d = deps(s);
    await startCompute(d, { request, signature: await s.signCompute(request), inlineCode: CODE });
    assert.equal(d.enqueued.length, 1);
  });

  it('accepts any algorithm code where the asset allows any, but still checks the image', async () => {
    const s = createScenario();
    const a = await s.addAsset({ compute: { allowAnyAlgorithm: true, allowedCodeHashes: [] } });
    const other = Buffer.from('anything goes');
    const hash = algorithmCodeHash({ fileName: 'main.py', code: other });
    const r = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
    const req = { ...r, algorithm: { ...r.algorithm, codeHash: hash } };
    const d = deps(s);
    await startCompute(d, { request: req, signature: await s.signCompute(req), inlineCode: other });
    const bad = s.computeRequest([{ assetId: a.assetId, txHash: s.order(a.assetId).txHash }]);
    const badReq = { ...bad, algorithm: { ...bad.algorithm, codeHash: hash, image: 'cove/other' } };
    await assert.rejects(startCompute(d, { request: badReq, signature: await s.signCompute(badReq), inlineCode: other }), code('ALGORITHM_NOT_ALLOWED'));
  });
});
