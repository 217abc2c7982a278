import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { overBudget } from './release-budget.js';
import type { JobRuntime } from './runtime.js';
import { createHarness, observed, type Harness } from './testing/harness.js';
import { randomCsv, echoes } from './testing/data.js';
import { runtimesUnderTest } from './testing/runtimes.js';

/** The provider's default for a dataset this small: the 64 KiB floor (docs/runner.md "Release budget"). */
const BUDGET = 64 << 10;

for (const { runtime, skip } of await runtimesUnderTest('hostile-release')) releaseSuite(runtime, skip);

function releaseSuite(runtime: JobRuntime, skip: string | false) {
  describe(`hostile algorithms: the release budget and the file channel (${runtime})`, { skip }, () => {
    let h: Harness;
    let csv: string;
    let dataset: string;
    const inputs = () => [{ assetId: 'a', files: [dataset] }];
    before(async () => {
      h = await createHarness({ concurrency: 3, runtime });
      assert.equal((await h.engine.runtime()).runtime, runtime);
      csv = randomCsv({ rows: 4000, features: 12 }); // ~520 KB: 1% of it is under the floor
      dataset = await h.input('data.csv', csv);
    });
    afterEach(async () => h.assertClean());
    after(async () => h.close());

    it('rejects hex, base64 and gzip+base64 copies of the input that the leak guard cannot see, releasing nothing and quoting nothing', async () => {
      const encodings = {
        hex: `d.toString('hex')`,
        base64: `d.toString('base64')`,
        gzipBase64: `require('zlib').gzipSync(d, { level: 9 }).toString('base64')`,
      };
      const results = await Promise.all(
        Object.entries(encodings).map(([name, expr]) =>
          h.run({
            inputs: inputs(),
            limits: { outputBytes: 4 << 20 },
            policy: { maxBytes: 4 << 20, maxReleaseBytes: BUDGET, allowedPatterns: ['*.json'] },
            code: `const fs = require('fs'); const d = fs.readFileSync('/data/inputs/a/data.csv');
              fs.writeFileSync('/data/outputs/model.json', JSON.stringify({ ${name}: ${expr} }));`,
          }),
        ),
      );
      for (const r of results) {
        assert.equal(r.state, 'output_rejected', r.reason ?? r.error);
        assert.equal(r.reason, overBudget(BUDGET));
        assert.equal(r.outputs, undefined);
        assert.equal(echoes(r.reason!, csv), false);
      }
    });

    it('rejects thousands of empty files whose names carry the input by the file cap, naming none', async () => {
      const r = await h.run({
        inputs: inputs(),
        policy: { maxReleaseBytes: BUDGET, allowedPatterns: ['*.json'] },
        code: `const fs = require('fs'); const hex = fs.readFileSync('/data/inputs/a/data.csv').toString('hex');
          for (let i = 0; i < 3000; i++) fs.writeFileSync('/data/outputs/' + String(i).padStart(4, '0') + '-' + hex.slice(i * 80, i * 80 + 80) + '.json', '');`,
      });
      assert.equal(r.state, 'output_rejected', r.reason ?? r.error);
      assert.equal(r.reason, 'more than 64 output files (maxFiles)');
      assert.equal(r.outputs, undefined);
      assert.equal(echoes(r.reason!, csv), false);
    });

    it('rejects a 300-byte path and a 200-byte segment as output_rejected, not engine_error, quoting neither', async () => {
      const [path300, segment200] = await Promise.all([
        h.run({
          policy: { allowedPatterns: ['**'] },
          // 99 + 1 + 99 + 1 + 95 + 5 = 300 bytes, every segment within its own cap.
          code: `const fs = require('fs'); const dir = '/data/outputs/' + 'a'.repeat(99) + '/' + 'b'.repeat(99); fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(dir + '/' + 'c'.repeat(95) + '.json', '{}');`,
        }),
        h.run({ policy: { allowedPatterns: ['**'] }, code: `require('fs').writeFileSync('/data/outputs/' + 'd'.repeat(195) + '.json', '{}');` }),
      ]);
      assert.equal(path300.state, 'output_rejected', path300.reason ?? path300.error);
      assert.equal(path300.reason, '1 output file name breaks the path length rule (at most 128 bytes)');
      assert.equal(segment200.state, 'output_rejected', segment200.reason ?? segment200.error);
      assert.equal(segment200.reason, '1 output file name breaks the segment length rule (at most 100 bytes)');
      for (const r of [path300, segment200]) assert.doesNotMatch(r.reason!, /aaaa|bbbb|cccc|dddd/);
    });

    it('rejects names outside [A-Za-z0-9._-] and dot files, quoting none', async () => {
      const r = await h.run({
        policy: { allowedPatterns: ['**'] },
        code: `const fs = require('fs'); for (const n of ['model v2.json', 'données.json', 'a;b.json', '.hidden']) fs.writeFileSync('/data/outputs/' + n, '{}');
          fs.writeFileSync('/data/outputs/fine.json', '{}');`,
      });
      assert.equal(r.state, 'output_rejected', r.reason ?? r.error);
      assert.equal(r.reason, '4 output file names break the charset rule ([A-Za-z0-9._-] per segment, no leading dot)');
    });

    it('rejects a succeeded job whose log tail would carry the input past the budget, and withholds a failed one’s', async () => {
      const print = `const d = require('fs').readFileSync('/data/inputs/a/data.csv').toString('hex'); for (let i = 0; i < d.length; i += 120) console.log(d.slice(i, i + 120));`;
      const logs = { tail: 100_000, maxBytes: 64 << 10 };
      const [ok, failed] = await Promise.all([
        h.run({ inputs: inputs(), policy: { maxReleaseBytes: BUDGET, logs }, code: `${print} require('fs').writeFileSync('/data/outputs/model.json', '{"w":[1]}');` }),
        // A failed job's tail alone (64 KiB) under a tighter budget: its files are never released, so only the logs count.
        h.run({ inputs: inputs(), policy: { maxReleaseBytes: BUDGET / 2, logs }, code: `${print} process.exit(3);` }),
      ]);
      assert.equal(ok.state, 'output_rejected', ok.reason ?? ok.error);
      assert.equal(ok.reason, overBudget(BUDGET));
      assert.equal(ok.outputs, undefined);
      assert.equal(failed.state, 'failed');
      assert.ok(failed.logs === undefined, 'the tail is withheld');
      assert.equal(failed.logsWithheld, `logs exceed the release budget (maxReleaseBytes ${BUDGET / 2})`);
      for (const r of [ok.reason!, failed.logsWithheld!]) assert.equal(echoes(r, csv), false);
    });

    it('releases a normal small model, its metrics and a short log under the default budget', async () => {
      const r = await h.run({
        inputs: inputs(),
        policy: { maxReleaseBytes: BUDGET, allowedPatterns: ['*.json', 'plots/*.json'], logs: { tail: 20, maxBytes: 4096 } },
        code: `const fs = require('fs'); const rows = fs.readFileSync('/data/inputs/a/data.csv', 'latin1').trim().split('\\n').slice(1);
          const w = Array.from({ length: 12 }, (_, j) => rows.reduce((a, r) => a + Number(r.split(',')[j + 1]), 0) / rows.length);
          fs.writeFileSync('/data/outputs/model.json', JSON.stringify({ weights: w.map((x) => +x.toFixed(4)), bias: 0.1 }));
          fs.mkdirSync('/data/outputs/plots'); fs.writeFileSync('/data/outputs/plots/loss.json', JSON.stringify([0.9, 0.5, 0.3]));
          fs.writeFileSync('/data/outputs/obs.json', JSON.stringify({ rows: rows.length }));
          for (let e = 0; e < 5; e++) console.log('epoch ' + e + ' loss ' + (1 / (e + 1)).toFixed(3));`,
      });
      assert.equal(r.state, 'succeeded', r.reason ?? r.error);
      assert.equal(observed(r).rows, 4000);
      assert.deepEqual([...r.outputs!.files.keys()].sort(), ['model.json', 'obs.json', 'plots/loss.json']);
      assert.match(r.outputs!.manifest.logs!.stdout, /epoch 4 loss 0\.200\n$/);
    });
  });
}
