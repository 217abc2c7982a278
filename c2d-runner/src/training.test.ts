import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createHarness, observed, type Harness } from './testing/harness.js';

const EXPORT = `
import numpy as np
from sklearn.datasets import load_breast_cancer
d = load_breast_cancer()
header = ','.join(n.replace(' ', '_') for n in d.feature_names) + ',target'
np.savetxt('/data/outputs/breast_cancer.csv', np.column_stack([d.data, d.target]), delimiter=',', header=header, comments='', fmt='%.6g')
`;

const TRAIN = `
import json, os, pickle
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
data = np.loadtxt(os.path.join(os.environ['COVE_INPUTS'], 'bc', 'breast_cancer.csv'), delimiter=',', skiprows=1)
X, y = data[:, :-1], data[:, -1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X_train, y_train)
out = os.environ['COVE_OUTPUTS']
with open(os.path.join(out, 'model.pkl'), 'wb') as f:
    pickle.dump(model, f)
json.dump({'accuracy': float(model.score(X_test, y_test)), 'n_train': len(y_train), 'n_test': len(y_test), 'features': X.shape[1]}, open(os.path.join(out, 'metrics.json'), 'w'))
print('trained')
`;

describe('a real training job', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h.assertClean();
    await h.close();
  });

  it('trains a LogisticRegression on a CSV input and releases model.pkl and metrics.json with matching hashes', async () => {
    const exported = await h.run({ image: 'python', code: EXPORT, policy: { allowedPatterns: ['*.csv'], leakGuard: { enabled: false } } });
    assert.equal(exported.state, 'succeeded', exported.error ?? exported.reason);
    const csv = exported.outputs!.files.get('breast_cancer.csv')!;
    assert.equal(csv.toString().split('\n').length, 571); // header + 569 rows + final newline
    const dataset = await h.input('breast_cancer.csv', csv);

    const r = await h.run({
      image: 'python',
      code: TRAIN,
      inputs: [{ assetId: 'bc', files: [dataset] }],
      limits: { memoryBytes: 1 << 30, cpus: 2, timeoutMs: 120_000 },
      // A pickled model: released only because this policy opts in (docs/runner.md "Unsafe formats").
      policy: { allowedPatterns: ['model.pkl', 'metrics.json'], logs: { tail: 10, maxBytes: 4096 }, leakGuard: { enabled: true }, allowUnsafeFormats: true },
    });
    assert.equal(r.state, 'succeeded', r.error ?? r.reason);
    const { manifest, files } = r.outputs!;
    assert.deepEqual(manifest.files.map((f) => f.path), ['metrics.json', 'model.pkl']);
    for (const f of manifest.files) {
      const bytes = files.get(f.path)!;
      assert.equal(f.size, bytes.length);
      assert.equal(f.sha256, createHash('sha256').update(bytes).digest('hex'));
    }
    const listing = manifest.files.map((f) => `${f.path}\0${f.sha256}\n`).join('');
    assert.equal(manifest.outputsHash, createHash('sha256').update(listing).digest('hex'));
    assert.equal(manifest.logs?.stdout, 'trained\n');
    const metrics = observed(r, 'metrics.json');
    assert.ok((metrics.accuracy as number) > 0.9, `accuracy ${metrics.accuracy}`);
    assert.equal(metrics.features, 30);
    assert.equal((metrics.n_train as number) + (metrics.n_test as number), 569);
    assert.equal(files.get('model.pkl')![0], 0x80); // a pickle
    assert.match(r.codeHash, /^[0-9a-f]{64}$/);
    assert.equal(r.imageId, h.ids.python);
  });
});
