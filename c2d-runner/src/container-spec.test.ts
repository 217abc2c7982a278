import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { isRunnerError } from './errors.js';
import { createHarness, observed, type Harness } from './testing/harness.js';
import { TEST_IMAGES } from '../../test/lib/images.js';

const sh = promisify(execFile);

/** Writes what the process sees of its own spec to obs.json. */
const SELF = `
const fs = require('fs');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('JOB_') || k.startsWith('COVE_')));
fs.writeFileSync('/data/outputs/obs.json', JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), uid: process.getuid(), gid: process.getgid(), env, helper: (() => { try { return require('/data/transformations/algorithm/lib/helper.js'); } catch (e) { return e.code; } })() }));`;

describe('the container runs exactly the spec: entrypoint, command, working dir, env, user', () => {
  let h: Harness;
  let entrypointImage: string;
  let entrypointTag: string;
  before(async () => {
    h = await createHarness({ concurrency: 2 });
    // An image whose own ENTRYPOINT would exit 7: the spec's entrypoint must replace it.
    const { stdout } = await sh('docker', ['create', TEST_IMAGES.node, 'node']);
    const tag = `cove-test/entrypoint:${process.pid}`;
    await sh('docker', ['commit', '--change', 'ENTRYPOINT ["node", "-e", "process.exit(7)"]', stdout.trim(), tag]);
    await sh('docker', ['rm', stdout.trim()]);
    entrypointImage = (await sh('docker', ['image', 'inspect', '--format', '{{.Id}}', tag])).stdout.trim();
    entrypointTag = tag;
  });
  afterEach(async () => h.assertClean());
  after(async () => {
    await h.close();
    await sh('docker', ['rmi', entrypointTag]).catch(() => {});
  });

  it('passes the env, working dir, user and argv of the spec, keeps COVE_* the runner\'s, and mounts every bundle file', async () => {
    const r = await h.run({
      code: SELF,
      files: { 'lib/helper.js': 'module.exports = "helper loaded";' },
      spec: { env: ['JOB_MODE=train', 'JOB_EMPTY='], workingDir: '/data/outputs', user: '1234:4321', command: ['node', '/data/transformations/algorithm/main.js', '--epochs', '3'] },
    });
    assert.equal(r.state, 'succeeded', JSON.stringify(r));
    const obs = observed(r);
    assert.deepEqual(obs.argv, ['/data/transformations/algorithm/main.js', '--epochs', '3']);
    assert.equal(obs.cwd, '/data/outputs');
    assert.equal(obs.uid, 1234);
    assert.equal(obs.gid, 4321);
    assert.equal(obs.helper, 'helper loaded');
    const env = obs.env as Record<string, string>;
    assert.equal(env.JOB_MODE, 'train');
    assert.equal(env.JOB_EMPTY, '');
    assert.equal(env.COVE_OUTPUTS, '/data/outputs');
  });

  it("replaces the image's entrypoint with the spec's, and an empty entrypoint means none", async () => {
    const own = await h.run({ code: SELF, spec: { image: entrypointImage } });
    assert.equal(own.state, 'failed', 'without an entrypoint in the spec the image would run its own');
    assert.equal(own.exitCode, 7);
    const none = await h.run({ code: SELF, spec: { image: entrypointImage, entrypoint: [] } });
    assert.equal(none.state, 'succeeded', JSON.stringify(none));
    const given = await h.run({ code: SELF, spec: { image: entrypointImage, entrypoint: ['node'], command: ['/data/transformations/algorithm/main.js', 'x'] } });
    assert.equal(given.state, 'succeeded', JSON.stringify(given));
    assert.deepEqual(observed(given).argv, ['/data/transformations/algorithm/main.js', 'x']);
  });

  const refused: [string, Parameters<Harness['run']>[0]['spec']][] = [
    ['root', { user: '0:0' }],
    ['the root group', { user: '1000:0' }],
    ['a user that is not uid:gid', { user: 'root' }],
    ['a COVE_ variable', { env: ['COVE_OUTPUTS=/'] }],
    ['an env entry without a name', { env: ['=x'] }],
    ['an env name twice', { env: ['A=1', 'A=2'] }],
    ['a NUL in the command', { command: ['node', 'a\0b'] }],
    ['a relative working dir', { workingDir: 'tmp' }],
    ['a working dir with ..', { workingDir: '/tmp/../etc' }],
  ];
  for (const [what, spec] of refused) {
    it(`refuses ${what} with INVALID_SPEC before creating anything`, async () => {
      await assert.rejects(h.run({ code: SELF, spec }), (e) => isRunnerError(e, 'INVALID_SPEC'));
    });
  }
});
