import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createHarness, type Harness } from './testing/harness.js';
import { randomCsv } from './testing/data.js';

const LOGS = { tail: 20, maxBytes: 4096 };

describe('log tail of jobs that did not succeed, on real containers', () => {
  let h: Harness;
  let dataset: string;
  before(async () => {
    h = await createHarness({ concurrency: 2 });
    dataset = await h.input('data.csv', randomCsv({ rows: 50, features: 12, label: false }));
  });
  afterEach(async () => h.assertClean());
  after(async () => h.close());

  it('releases the tail of a Python job that crashes with a traceback, and no files', async () => {
    const r = await h.run({
      image: 'python',
      inputs: [{ assetId: 'a', files: [dataset] }],
      policy: { logs: LOGS },
      code: `open('/data/outputs/partial.json', 'w').write('{}')\nprint('loaded 50 rows', flush=True)\nraise ValueError('column x13 is missing')\n`,
    });
    assert.equal(r.state, 'failed');
    assert.equal(r.exitCode, 1);
    assert.equal(r.logs!.stdout, 'loaded 50 rows\n');
    assert.match(r.logs!.stderr, /^Traceback \(most recent call last\):\n[\s\S]*ValueError: column x13 is missing\n$/);
    assert.equal(r.logs!.truncated, false);
    assert.equal(r.logsWithheld, undefined);
    assert.equal(r.outputs, undefined, 'a failed job releases no files');
  });

  it('withholds the tail of a failed job that prints 100 bytes of its input, naming the leak, and stays failed', async () => {
    const r = await h.run({
      inputs: [{ assetId: 'a', files: [dataset] }],
      policy: { logs: LOGS },
      code: `const row = require('fs').readFileSync('/data/inputs/a/data.csv', 'latin1').split('\\n')[7];
        console.log('bad row: ' + row.slice(0, 100)); process.exit(1);`,
    });
    assert.equal(r.state, 'failed');
    assert.equal(r.exitCode, 1);
    assert.equal(r.logs, undefined);
    assert.match(r.logsWithheld!, /^leak guard: logs:stdout repeats \d+\+ bytes of input asset a verbatim$/);
  });

  it("releases nothing printed by a failed job when the logs policy is 'none'", async () => {
    const r = await h.run({ policy: { logs: 'none' }, code: `console.log('about to fail'); process.exit(2);` });
    assert.equal(r.state, 'failed');
    assert.equal(r.exitCode, 2);
    assert.equal(r.logs, undefined);
    assert.equal(r.logsWithheld, undefined);
  });

  it('releases the tail of a job killed at its time limit', async () => {
    const r = await h.run({ limits: { timeoutMs: 1500 }, policy: { logs: LOGS }, code: `console.log('epoch 1'); for (;;) {}` });
    assert.equal(r.state, 'timed_out');
    assert.equal(r.logs!.stdout, 'epoch 1\n');
  });

  it('releases the tail of a job killed at its memory limit', async () => {
    const r = await h.run({
      limits: { memoryBytes: 96 << 20 },
      policy: { logs: LOGS },
      code: `console.log('allocating'); const keep = []; for (;;) keep.push(Buffer.alloc(8 << 20, 1));`,
    });
    assert.equal(r.state, 'oom_killed');
    assert.equal(r.logs!.stdout, 'allocating\n');
  });
});
