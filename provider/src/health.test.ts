import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHealthCheck } from './health.js';

describe('health check', () => {
  it('reports each probe on its own: a hung one is down after its deadline, a failing one with its reason', async () => {
    const health = createHealthCheck({
      probes: { chain: async () => ({ blockNumber: 7 }), ipfs: () => new Promise(() => {}), docker: async () => Promise.reject(Object.assign(new Error('connect ENOENT /nope.sock'), { code: 'ENOENT' })) },
      jobs: () => ({ waiting: 1, active: 0 }),
      timeoutMs: 50,
    });
    const report = await health();
    assert.equal(report.status, 'unavailable');
    assert.equal(report.dependencies.chain!.status, 'ok');
    assert.equal(report.dependencies.chain!.blockNumber, 7);
    assert.deepEqual([report.dependencies.ipfs!.status, report.dependencies.ipfs!.error], ['down', 'no answer within 50 ms']);
    assert.deepEqual([report.dependencies.docker!.status, report.dependencies.docker!.error], ['down', 'connect ENOENT /nope.sock']);
    assert.deepEqual(report.jobs, { waiting: 1, active: 0 });
  });

  it('probes once for concurrent and cached callers, and again after cacheMs', async () => {
    let now = 0;
    let calls = 0;
    const health = createHealthCheck({ probes: { chain: async () => ({ n: ++calls }) }, jobs: () => ({ waiting: 0, active: 0 }), cacheMs: 1000, clock: () => now });
    const [a, b] = await Promise.all([health(), health()]);
    assert.equal(a.status, 'ok');
    assert.equal(b.dependencies.chain!.n, 1);
    now = 999;
    assert.equal((await health()).dependencies.chain!.n, 1);
    now = 1000;
    assert.equal((await health()).dependencies.chain!.n, 2);
  });
});
