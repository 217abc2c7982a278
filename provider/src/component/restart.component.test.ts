import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { spawnProvider as spawnChild, type ChildProvider } from './child.js';
import { createWorld, IMAGES, postJson, waitForJob, type World } from './world.js';

let w: World;
const children: ChildProcess[] = [];

before(async () => {
  w = await createWorld();
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await w?.close();
});

async function spawnProvider(env: Record<string, string>): Promise<ChildProvider> {
  const p = await spawnChild(env);
  children.push(p.child);
  return p;
}

describe('provider restart', () => {
  it('survives kill -9 during a job: the job finishes after restart, its result is served, its order stays used', async () => {
    const env = w.providerEnv();
    let prov = await spawnProvider(env);
    const info = (await (await fetch(`${prov.url}/v1/info`)).json()) as { address: string; x25519PublicKey: string };
    const nodeImage = await w.imageId(IMAGES.node);
    // A row starting with "sleep" makes the algorithm busy-wait for 4 s.
    const a = await w.publish({ provider: { address: info.address, url: prov.url, x25519PublicKey: info.x25519PublicKey }, content: 'x\nsleep\n1\n', allowedImages: [nodeImage] });
    const o = await w.order({ datatoken: a.datatoken, provider: info.address });
    const { request, code } = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: 1n });
    const r = await postJson(`${prov.url}/v1/compute`, { request, signature: await w.signCompute(info.address, request), algorithmCode: code.toString('base64') });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const { jobId } = r.body;

    for (let i = 0; ; i++) {
      const s = (await (await fetch(`${prov.url}/v1/compute/${jobId}`, { headers: await w.accessHeaders(info.address, jobId) })).json()) as { status: string };
      if (s.status === 'running') break;
      assert.ok(i < 200, `job never ran (${s.status})`);
      await new Promise((res) => setTimeout(res, 50));
    }
    prov.child.kill('SIGKILL');
    await once(prov.child, 'exit');

    prov = await spawnProvider(env);
    await w.client.dial(prov.ipfs[0]!);
    const status = await waitForJob(w, prov.url, info.address, jobId);
    assert.equal(status.status, 'succeeded', JSON.stringify(status));
    assert.ok(status.transitions.some((t: { reason: string | null }) => /adopted|restart/.test(t.reason ?? '')) || status.transitions.filter((t: { status: string }) => t.status === 'running').length === 1);
    assert.equal(status.transitions.filter((t: { status: string }) => t.status === 'preparing').length, 1, 'prepared (and run) once');
    assert.equal(status.receipt.state, 'posted');
    const result = (await (await fetch(`${prov.url}/v1/compute/${jobId}/result`, { headers: await w.accessHeaders(info.address, jobId) })).json()) as { resultCid: string; manifest: { files: { path: string }[] } };
    assert.deepEqual(result.manifest.files.map((f) => f.path), ['metrics.json']);
    const chunks: Uint8Array[] = [];
    for await (const c of w.client.cat(result.resultCid, { timeoutMs: 20_000 })) chunks.push(c);
    assert.ok(Buffer.concat(chunks).length > 0);
    const onChain = await w.recordedJob(jobId);
    assert.equal(onChain.resultCid, result.resultCid);
    assert.equal(onChain.txHash, status.receipt.txHash);

    const again = w.computeRequest({ datasets: [{ assetId: a.assetId, txHash: o.txHash }], image: IMAGES.node, nonce: 2n });
    const reuse = await postJson(`${prov.url}/v1/compute`, { request: again.request, signature: await w.signCompute(info.address, again.request), algorithmCode: again.code.toString('base64') });
    assert.equal(reuse.status, 409);
    assert.equal(reuse.body.error.code, 'ORDER_ALREADY_USED');

    prov.child.kill('SIGTERM');
    await once(prov.child, 'exit');
  });
});
