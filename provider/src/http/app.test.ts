import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUNDLE } from '../testing/scenario.js';
import { startHarness } from '../testing/harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const J = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

async function computeBody(h: Awaited<ReturnType<typeof startHarness>>) {
  const a = await h.s.addAsset();
  const request = h.s.computeRequest([{ assetId: a.assetId, txHash: h.s.order(a.assetId).txHash }]);
  return { request, signature: await h.s.signCompute(request), algorithmCode: BUNDLE.toString('base64') };
}

describe('HTTP API', () => {
  it('answers health with a generated request id, and echoes a given one', async () => {
    const h = await startHarness();
    try {
      const r = await fetch(h.url + '/v1/health');
      assert.equal(r.status, 200);
      assert.equal((await J(r)).status, 'ok');
      assert.match(r.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
      const r2 = await fetch(h.url + '/v1/health', { headers: { 'x-request-id': 'abc-123' } });
      assert.equal(r2.headers.get('x-request-id'), 'abc-123');
    } finally {
      await h.close();
    }
  });

  it('starts a job (202) whose consumer can read status and result, and nobody else', async () => {
    const h = await startHarness();
    try {
      const r = await h.post('/v1/compute', await computeBody(h));
      assert.equal(r.status, 202);
      const { jobId } = await J(r);
      const st = await fetch(`${h.url}/v1/compute/${jobId}`, { headers: await h.accessHeaders(jobId) });
      assert.equal(st.status, 200);
      const body = await J(st);
      assert.equal(body.jobId, jobId);
      assert.ok(['queued', 'preparing', 'running'].includes(body.status));
      const res = await fetch(`${h.url}/v1/compute/${jobId}/result`, { headers: await h.accessHeaders(jobId) });
      assert.equal((await J(res)).error.code, 'JOB_NOT_FINISHED');
      const other = await fetch(`${h.url}/v1/compute/${jobId}`, { headers: await h.accessHeaders(jobId, 'read', h.s.stranger) });
      assert.equal(other.status, 403);
      assert.equal((await J(other)).error.code, 'SIGNER_MISMATCH');
      const readTokenStop = await fetch(`${h.url}/v1/compute/${jobId}`, { method: 'DELETE', headers: await h.accessHeaders(jobId, 'read') });
      assert.equal((await J(readTokenStop)).error.code, 'SIGNER_MISMATCH', 'a read token cannot stop the job');
      const stop = await fetch(`${h.url}/v1/compute/${jobId}`, { method: 'DELETE', headers: await h.accessHeaders(jobId, 'stop') });
      assert.equal(stop.status, 200);
      await h.worker.idle();
      assert.equal(h.s.store.getJob(jobId)!.status, 'stopped');
    } finally {
      await h.close();
    }
  });

  const bad: [string, (h: Awaited<ReturnType<typeof startHarness>>) => Promise<Response>, number, string][] = [
    ['malformed JSON', (h) => h.post('/v1/compute', '{"request":'), 400, 'MALFORMED_JSON'],
    ['an unknown field', async (h) => h.post('/v1/compute', { ...(await computeBody(h)), extra: 1 }), 400, 'VALIDATION'],
    ['an unknown nested field', async (h) => {
      const b = await computeBody(h);
      return h.post('/v1/compute', { ...b, request: { ...b.request, priority: 'high' } });
    }, 400, 'VALIDATION'],
    ['wrong types', async (h) => {
      const b = await computeBody(h);
      return h.post('/v1/compute', { ...b, request: { ...b.request, nonce: 5 } });
    }, 400, 'VALIDATION'],
    ['an oversized body', (h) => h.post('/v1/compute', { pad: 'x'.repeat(70 * 1024) }), 413, 'PAYLOAD_TOO_LARGE'],
    ['a missing access token', (h) => fetch(`${h.url}/v1/compute/0x${'1'.repeat(64)}`), 400, 'VALIDATION'],
    ['an unknown route', (h) => fetch(`${h.url}/v2/anything`), 404, 'NOT_FOUND'],
  ];
  for (const [what, send, status, code] of bad) {
    it(`answers ${what} with ${status} ${code} and starts no job`, async () => {
      const h = await startHarness();
      try {
        const r = await send(h);
        assert.equal(r.status, status);
        assert.equal((await J(r)).error.code, code);
        assert.equal(h.s.store.countJobs(['queued', 'preparing', 'running']), 0);
        assert.equal(h.s.fengine.started.length, 0);
      } finally {
        await h.close();
      }
    });
  }

  it('rate-limits signed requests per IP with 429 RATE_LIMITED', async () => {
    const h = await startHarness({ ratePerSecond: 1, rateBurst: 2 });
    try {
      const codes = [];
      for (let i = 0; i < 3; i++) codes.push((await h.post('/v1/download', { request: {}, signature: '0x' })).status);
      assert.deepEqual(codes, [400, 400, 429]);
    } finally {
      await h.close();
    }
  });

  it('answers an unexpected failure 500 INTERNAL without its internals', async () => {
    const h = await startHarness({
      override: {
        health: () => {
          throw new Error('secret path /var/lib/x');
        },
      },
    });
    try {
      const r = await fetch(h.url + '/v1/health');
      assert.equal(r.status, 500);
      const text = await r.text();
      assert.equal(JSON.parse(text).error.code, 'INTERNAL');
      assert.doesNotMatch(text, /secret/);
    } finally {
      await h.close();
    }
  });

  it('publishes info and an OpenAPI document covering every route', async () => {
    const h = await startHarness();
    try {
      const info = await J(fetch(h.url + '/v1/info'));
      assert.equal(info.address, h.s.provider.address);
      assert.equal(info.eip712Domain.verifyingContract, h.s.provider.address);
      const doc = await J(fetch(h.url + '/v1/openapi.json'));
      assert.equal(doc.openapi, '3.1.0');
      for (const p of ['/v1/health', '/v1/info', '/v1/nonce/{address}', '/v1/compute', '/v1/compute/{jobId}', '/v1/compute/{jobId}/logs', '/v1/compute/{jobId}/result', '/v1/download', '/v1/pin', '/ipfs/{cid}']) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
      assert.equal(doc.paths['/v1/compute'].post.requestBody.content['application/json'].schema.additionalProperties, false);
    } finally {
      await h.close();
    }
  });

  it('serves a stored block raw at /ipfs/<cid> only when asked for raw (406 otherwise), 404 for one not here or a path below it', async () => {
    const h = await startHarness();
    try {
      const cid = await h.s.storage.add(Buffer.from('{"name":"doc"}'));
      const raw = await fetch(`${h.url}/ipfs/${cid}`, { headers: { accept: 'application/vnd.ipld.raw' } });
      assert.equal(raw.status, 200);
      assert.equal(raw.headers.get('content-type'), 'application/vnd.ipld.raw');
      assert.equal(raw.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(Buffer.from(await raw.arrayBuffer()).toString(), '{"name":"doc"}');
      assert.equal((await fetch(`${h.url}/ipfs/${cid}?format=raw`)).status, 200);
      const head = await fetch(`${h.url}/ipfs/${cid}?format=raw`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), '14');
      const html = await fetch(`${h.url}/ipfs/${cid}`, { headers: { accept: 'text/html' } });
      assert.equal(html.status, 406);
      assert.equal(((await html.json()) as any).error.code, 'NOT_ACCEPTABLE');
      assert.equal((await fetch(`${h.url}/ipfs/${cid}?format=car`)).status, 406);
      const missing = await fetch(`${h.url}/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?format=raw`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as any).error.code, 'NOT_FOUND');
      assert.equal((await fetch(`${h.url}/ipfs/${cid}/sub/path?format=raw`)).status, 404, 'no paths below a CID');
    } finally {
      await h.close();
    }
  });
});
