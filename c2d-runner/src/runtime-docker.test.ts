import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRunnerError } from './errors.js';
import { createHarness } from './testing/harness.js';

describe('runtimes on the real Docker engine', () => {
  it('fails closed under runsc when the runtime is not registered: RUNTIME_UNAVAILABLE, no job container', async () => {
    const h = await createHarness({ runtime: 'runsc', runscRuntimeName: 'cove-no-such-runtime' });
    try {
      await assert.rejects(h.engine.runtime(), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE') && /cove-no-such-runtime/.test(err.message));
      await assert.rejects(h.run({ code: 'process.exit(0)' }), (err) => isRunnerError(err, 'RUNTIME_UNAVAILABLE'));
      await h.assertClean();
    } finally {
      await h.close();
    }
  });

  it('falls back to runc under auto when the runtime is not registered, and records runc in the result', async () => {
    const h = await createHarness({ runtime: 'auto', runscRuntimeName: 'cove-no-such-runtime' });
    try {
      const info = await h.engine.runtime();
      assert.equal(info.runtime, 'runc');
      assert.match(info.fallbackReason!, /cove-no-such-runtime/);
      const r = await h.run({ code: 'process.exit(0)' });
      assert.equal(r.state, 'succeeded');
      assert.equal(r.runtime, 'runc');
      await h.assertClean();
    } finally {
      await h.close();
    }
  });
});
