import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import type { JobRuntime } from './runtime.js';
import { createHarness, observed, type Harness } from './testing/harness.js';
import { randomCsv } from './testing/data.js';
import { runtimesUnderTest } from './testing/runtimes.js';

for (const { runtime, skip } of await runtimesUnderTest('hostile-outputs')) outputsSuite(runtime, skip);

function outputsSuite(runtime: JobRuntime, skip: string | false) {
  const runc = runtime === 'runc';
  describe(`hostile algorithms: outputs (${runtime})`, { skip }, () => {
    let h: Harness;
    let csv: string;
    let dataset: string;
    before(async () => {
      h = await createHarness({ concurrency: 2, runtime });
      assert.equal((await h.engine.runtime()).runtime, runtime);
      csv = randomCsv({ rows: 500, features: 12 });
      dataset = await h.input('data.csv', csv);
    });
    afterEach(async () => h.assertClean());
    after(async () => h.close());

    it('cannot write past the outputs cap (ENOSPC), and what fits is still released', async () => {
      const r = await h.run({
        limits: { outputBytes: 1 << 20 },
        policy: { maxBytes: 4 << 20, allowedPatterns: ['*.json', '*.bin'] },
        code: `
          const fs = require('fs');
          const fd = fs.openSync('/data/outputs/fill.bin', 'w');
          let written = 0, error = null;
          try { for (;;) written += fs.writeSync(fd, Buffer.alloc(64 << 10, 7)); } catch (e) { error = e.code; }
          fs.ftruncateSync(fd, 512 << 10); fs.closeSync(fd);
          fs.writeFileSync('/data/outputs/obs.json', JSON.stringify({ written, error }));`,
      });
      assert.equal(r.state, 'succeeded', r.reason);
      const obs = observed(r);
      assert.equal(obs.error, 'ENOSPC');
      assert.ok((obs.written as number) <= 1 << 20, `wrote ${obs.written}`);
      assert.equal(r.outputs!.files.get('fill.bin')!.length, 512 << 10);
    });

    it('rejects outputs larger than the policy allows', async () => {
      const r = await h.run({
        policy: { maxBytes: 256 << 10, allowedPatterns: ['*.bin'] },
        code: `require('fs').writeFileSync('/data/outputs/big.bin', Buffer.alloc(600 << 10, 1));`,
      });
      assert.equal(r.state, 'output_rejected');
      assert.match(r.reason!, /maxBytes/);
      assert.equal(r.outputs, undefined);
    });

    it('rejects a file outside the allowed patterns, counting it without naming it', async () => {
      const r = await h.run({
        policy: { allowedPatterns: ['*.pkl', '*.json'] },
        code: `const fs = require('fs'); fs.writeFileSync('/data/outputs/model.pkl', 'm'); fs.mkdirSync('/data/outputs/sub'); fs.writeFileSync('/data/outputs/sub/run.sh', 'x');`,
      });
      assert.equal(r.state, 'output_rejected');
      assert.equal(r.reason, '1 of 2 output files do not match the allowed patterns');
    });

    it('rejects a symlink to an input without following it', async () => {
      const r = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        policy: { allowedPatterns: ['*'] },
        code: `require('fs').symlinkSync('/data/inputs/a/data.csv', '/data/outputs/leak.json');`,
      });
      assert.equal(r.state, 'output_rejected');
      assert.match(r.reason!, /^1 output entry is not a regular file \(symlink\)/);
      assert.doesNotMatch(r.reason!, /leak/);
    });

    it(runc ? 'rejects a FIFO in the outputs' : 'keeps a FIFO in the outputs inside the sandbox: the host never sees it, nothing is released for it', async () => {
      const r = await h.run({
        image: 'python',
        policy: { allowedPatterns: ['*'] },
        code: `import json, os, stat\nos.mkfifo('/data/outputs/pipe')\nopen('/data/outputs/obs.json', 'w').write(json.dumps({'fifo': stat.S_ISFIFO(os.lstat('/data/outputs/pipe').st_mode)}))\n`,
      });
      if (runc) {
        assert.equal(r.state, 'output_rejected');
        assert.match(r.reason!, /^1 output entry is not a regular file \(fifo\)/);
        return;
      }
      // gVisor makes named pipes in the sentry, not on the host bind mount (measured: the job sees
      // `prw-r--r--`, the host directory holds no entry), so the policy has nothing to reject. A
      // FIFO holds no data at rest: only the job's regular file is released.
      assert.equal(r.state, 'succeeded', r.reason ?? r.error);
      assert.equal(observed(r).fifo, true, 'the job saw its FIFO');
      assert.deepEqual([...r.outputs!.files.keys()], ['obs.json']);
    });

    it('rejects a verbatim copy of the dataset (leak guard), naming the output by number and the input by asset', async () => {
      const r = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        code: `const fs = require('fs'); fs.writeFileSync('/data/outputs/model.json', '{"w":[0.1,0.2],"data":"' + fs.readFileSync('/data/inputs/a/data.csv', 'latin1') + '"}');`,
      });
      assert.equal(r.state, 'output_rejected');
      assert.equal(r.reason, 'output file 1 of 1 repeats 64+ bytes of input asset a verbatim');
    });

    it('rejects 64 bytes of one input row inside an output, and releases 63', async () => {
      const slice = (n: number) => `const fs = require('fs'); const row = fs.readFileSync('/data/inputs/a/data.csv', 'latin1').split('\\n')[100];
          fs.writeFileSync('/data/outputs/obs.json', JSON.stringify({ note: row.slice(3, ${3 + n}) }));`;
      const r64 = await h.run({ inputs: [{ assetId: 'a', files: [dataset] }], code: slice(64) });
      assert.equal(r64.state, 'output_rejected');
      assert.equal(r64.reason, 'output file 1 of 1 repeats 64+ bytes of input asset a verbatim');
      const r63 = await h.run({ inputs: [{ assetId: 'a', files: [dataset] }], code: slice(63) });
      assert.equal(r63.state, 'succeeded', r63.reason);
      assert.equal((observed(r63).note as string).length, 63);
    });

    it('cannot catch transformed copies: base64, or JSON-escaped rows shorter than the threshold (documented limit; the release budget bounds them)', async () => {
      const b64 = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        code: `const fs = require('fs'); fs.writeFileSync('/data/outputs/obs.json', JSON.stringify({ b64: fs.readFileSync('/data/inputs/a/data.csv').toString('base64') }));`,
      });
      assert.equal(b64.state, 'succeeded');
      assert.equal(Buffer.from(observed(b64).b64 as string, 'base64').toString(), csv);
      // Each row cut into pieces under 64 bytes inside a JSON array: nothing verbatim is 64 long, all of it is there.
      const pieces = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        code: `const fs = require('fs'); const rows = fs.readFileSync('/data/inputs/a/data.csv', 'latin1').split('\\n');
          fs.writeFileSync('/data/outputs/obs.json', JSON.stringify(rows.map((r) => r.match(/.{1,60}/g) ?? [])));`,
      });
      assert.equal(pieces.state, 'succeeded', pieces.reason);
      assert.equal((observed(pieces) as unknown as string[][]).map((p) => p.join('')).join('\n'), csv);
    });

    it("releases nothing printed when the logs policy is 'none'", async () => {
      const r = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        policy: { logs: 'none' },
        code: `process.stdout.write(require('fs').readFileSync('/data/inputs/a/data.csv')); require('fs').writeFileSync('/data/outputs/obs.json', '{}');`,
      });
      assert.equal(r.state, 'succeeded');
      assert.equal(r.outputs!.manifest.logs, undefined);
    });

    it('rejects a log tail that prints the dataset, and releases a harmless one', async () => {
      const leaky = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        policy: { logs: { tail: 50, maxBytes: 64 << 10 } },
        code: `process.stdout.write(require('fs').readFileSync('/data/inputs/a/data.csv'));`,
      });
      assert.equal(leaky.state, 'output_rejected');
      assert.match(leaky.reason!, /logs:stdout repeats/);
      const fine = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        policy: { logs: { tail: 2, maxBytes: 1024 } },
        code: `for (let i = 0; i < 5; i++) console.log('epoch ' + i); console.error('warn: ${randomBytes(4).toString('hex')}');`,
      });
      assert.equal(fine.state, 'succeeded');
      assert.equal(fine.outputs!.manifest.logs!.stdout, 'epoch 3\nepoch 4\n');
      assert.match(fine.outputs!.manifest.logs!.stderr, /^warn: [0-9a-f]{8}\n$/);
      assert.equal(fine.outputs!.manifest.logs!.truncated, true);
    });
  });
}
