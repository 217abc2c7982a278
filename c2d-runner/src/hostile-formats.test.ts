import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { unsafeFormatReason } from './output-policy.js';
import type { JobRuntime } from './runtime.js';
import { createHarness, type Harness } from './testing/harness.js';
import { randomCsv, echoes } from './testing/data.js';
import { runtimesUnderTest } from './testing/runtimes.js';

/** Big enough that the release budget alone never refuses these outputs: the format check has to. */
const BUDGET = 1 << 20;

/** Python prelude: the input as float rows, and a small honest model fitted on it. */
const FIT = `import json, numpy as np
from sklearn.linear_model import LogisticRegression
rows = np.loadtxt('/data/inputs/a/data.csv', delimiter=',', skiprows=1)
model = LogisticRegression(max_iter=200).fit(rows[:, :4], rows[:, 4].astype(int))
`;

for (const { runtime, skip } of await runtimesUnderTest('hostile-formats')) formatsSuite(runtime, skip);

function formatsSuite(runtime: JobRuntime, skip: string | false) {
  describe(`hostile algorithms: unsafe model formats (pickle) are refused by content (${runtime})`, { skip }, () => {
    let h: Harness;
    let csv: string;
    let dataset: string;
    const inputs = () => [{ assetId: 'a', files: [dataset] }];
    before(async () => {
      h = await createHarness({ concurrency: 3, runtime });
      csv = randomCsv({ rows: 1500, features: 4, id: false }); // ~65 KB
      dataset = await h.input('data.csv', csv);
    });
    afterEach(async () => h.assertClean());
    after(async () => h.close());

    it('refuses pickles (hostile or honest, whatever their names) and torch zips by default; releases JSON weights, and a pickle the owner allowed', async () => {
      const policy = (patterns: string[], extra: { allowUnsafeFormats?: boolean } = {}) => ({ maxBytes: BUDGET, maxReleaseBytes: BUDGET, allowedPatterns: patterns, ...extra });
      const [hostile, joblibModel, pickleModel, allowed, torchZip, json] = await Promise.all([
        // An approved-but-hostile algorithm: the input re-encoded as pickled floats (no verbatim run for the leak guard), named as JSON.
        h.run({
          image: 'python',
          inputs: inputs(),
          policy: policy(['*.json']),
          code: `import pickle, numpy as np\nrows = np.loadtxt('/data/inputs/a/data.csv', delimiter=',', skiprows=1)\nopen('/data/outputs/metrics.json', 'w').write('{"acc": 0.5}')\nopen('/data/outputs/model.json', 'wb').write(pickle.dumps(rows.tolist(), protocol=4))\n`,
        }),
        h.run({ image: 'python', inputs: inputs(), policy: policy(['*.joblib']), code: `${FIT}import joblib\njoblib.dump(model, '/data/outputs/model.joblib')\n` }),
        h.run({ image: 'python', inputs: inputs(), policy: policy(['*.pkl']), code: `${FIT}import pickle\npickle.dump(model, open('/data/outputs/model.pkl', 'wb'))\n` }),
        h.run({ image: 'python', inputs: inputs(), policy: policy(['*.joblib'], { allowUnsafeFormats: true }), code: `${FIT}import joblib\njoblib.dump(model, '/data/outputs/model.joblib')\n` }),
        h.run({
          image: 'python',
          inputs: inputs(),
          policy: policy(['*.pt']),
          code: `${FIT}import collections, pickle, zipfile
with zipfile.ZipFile('/data/outputs/model.pt', 'w') as z:
    z.writestr('archive/data.pkl', pickle.dumps(collections.OrderedDict(weight=model.coef_.tolist()), protocol=2))
    z.writestr('archive/data/0', model.coef_.astype('<f4').tobytes())
    z.writestr('archive/version', '3\\n')
`,
        }),
        h.run({
          image: 'python',
          inputs: inputs(),
          policy: policy(['*.json']),
          code: `${FIT}json.dump({'coef': model.coef_.tolist(), 'intercept': model.intercept_.tolist(), 'classes': model.classes_.tolist()}, open('/data/outputs/model.json', 'w'))\n`,
        }),
      ]);

      assert.equal(hostile.state, 'output_rejected', hostile.reason ?? hostile.error);
      assert.equal(hostile.reason, unsafeFormatReason(2, 2, 'pickle'));
      assert.equal(hostile.outputs, undefined);
      assert.equal(echoes(hostile.reason!, csv), false);
      assert.ok(!hostile.reason!.includes('model'), 'no file name in the reason');

      for (const [name, r] of [['joblib', joblibModel], ['pickle', pickleModel]] as const) {
        assert.equal(r.state, 'output_rejected', `${name}: ${r.reason ?? r.error}`);
        assert.equal(r.reason, unsafeFormatReason(1, 1, 'pickle'), name);
        assert.equal(r.outputs, undefined, name);
      }

      assert.equal(allowed.state, 'succeeded', allowed.reason ?? allowed.error);
      const released = allowed.outputs?.files.get('model.joblib');
      assert.ok(released && released.length > 256 && released.length < 16 << 10, `a few KiB of model (${released?.length})`);
      assert.equal(released[0], 0x80, 'the pickle, as the owner allowed');

      assert.equal(torchZip.state, 'output_rejected', torchZip.reason ?? torchZip.error);
      assert.equal(torchZip.reason, unsafeFormatReason(1, 1, 'pickle in a zip archive'));
      assert.equal(torchZip.outputs, undefined);

      assert.equal(json.state, 'succeeded', json.reason ?? json.error);
      const weights = JSON.parse(json.outputs!.files.get('model.json')!.toString('utf8')) as { coef: number[][] };
      assert.equal(weights.coef[0]!.length, 4);
    });
  });
}
