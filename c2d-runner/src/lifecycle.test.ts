import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_IMAGES } from '../../test/lib/images.js';
import { isRunnerError } from './errors.js';
import { createHarness, DEFAULT_POLICY, type Harness } from './testing/harness.js';
import type { JobSpec } from './types.js';

describe('job lifecycle on real containers', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ concurrency: 1 });
  });
  after(async () => {
    await h.assertClean();
    await h.close();
  });

  const spec = (jobId: string, code: string): JobSpec => ({
    jobId,
    image: TEST_IMAGES.node,
    allowedImageIds: [h.ids.node],
    command: ['node', '/data/transformations/algorithm/main.js'],
    inputs: [],
    algorithm: [{ name: 'main.js', content: code }],
    limits: { timeoutMs: 60_000, outputBytes: 1 << 20 },
    outputPolicy: DEFAULT_POLICY,
  });

  it('stops a running job and a queued one, leaving nothing behind', async () => {
    const states: string[] = [];
    const off = h.engine.onTransition((e) => states.push(`${e.jobId}:${e.to}`));
    await h.engine.start(spec('runs', 'setInterval(() => {}, 1000);'));
    await h.engine.start(spec('waits', '0'));
    while (h.engine.status('runs').state !== 'running') await new Promise((r) => setTimeout(r, 10));
    assert.equal(h.engine.status('waits').state, 'queued');
    assert.equal((await h.engine.stop('waits')).state, 'stopped');
    const t0 = Date.now();
    assert.equal((await h.engine.stop('runs')).state, 'stopped');
    assert.ok(Date.now() - t0 < 5000);
    await h.assertClean();
    off();
    assert.deepEqual(states.filter((s) => s.startsWith('runs:')), ['runs:queued', 'runs:starting', 'runs:running', 'runs:stopped']);
    assert.deepEqual(states.filter((s) => s.startsWith('waits:')), ['waits:queued', 'waits:stopped']);
  });

  it('refuses an image outside the allowed IDs, even under an allowed name', async () => {
    const s = { ...spec('other', '0'), image: TEST_IMAGES.python };
    await assert.rejects(h.engine.start(s), (err) => isRunnerError(err, 'IMAGE_NOT_ALLOWED'));
    await assert.rejects(h.engine.start({ ...s, image: 'cove/does-not-exist:1' }), (err) => isRunnerError(err, 'IMAGE_NOT_FOUND'));
  });

  it('lets a caller stop waiting without stopping the job', async () => {
    await h.engine.start(spec('slow', `setTimeout(() => require('fs').writeFileSync('/data/outputs/r.json', '{}'), 300);`));
    const ac = new AbortController();
    const waiting = h.engine.wait('slow', { signal: ac.signal });
    ac.abort();
    await assert.rejects(waiting, (err) => isRunnerError(err, 'ABORTED'));
    assert.equal((await h.engine.wait('slow')).state, 'succeeded');
  });
});
