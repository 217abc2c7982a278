import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { createHarness, observed, type Harness } from './testing/harness.js';
import type { JobRuntime } from './runtime.js';
import { runtimesUnderTest } from './testing/runtimes.js';

/** A Node algorithm that runs `body` (which fills `obs`) and writes obs.json. */
const nodeJob = (body: string) => `
const fs = require('fs');
const obs = {};
const tryErr = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code || String(e); } };
(async () => {
  ${body}
  fs.writeFileSync('/data/outputs/obs.json', JSON.stringify(obs));
})();`;

/**
 * The same checks under both runtimes; under runsc (gVisor) only the most important ones, to
 * keep CI short, with what gVisor reports differently asserted as such (docs/runner.md, Runtimes).
 */
for (const { runtime, skip } of await runtimesUnderTest('hostile-isolation')) isolationSuite(runtime, skip);

function isolationSuite(runtime: JobRuntime, skip: string | false = false) {
  const runc = runtime === 'runc';
  /** Checks only runc runs (the rest of the runc suite runs under runsc too). */
  const runcOnly = { skip: runc ? false : 'runc only, to keep the gVisor suite short' };
  describe(`hostile algorithms: isolation (${runtime})`, { skip }, () => {
    let h: Harness;
    let dataset: string;
    before(async () => {
      h = await createHarness({ concurrency: 2, runtime });
      assert.equal((await h.engine.runtime()).runtime, runtime);
      dataset = await h.input('data.csv', 'id,value\n1,42\n');
    });
    afterEach(async () => h.assertClean());
    after(async () => h.close());

    it('has no network: TCP connects fail, DNS does not resolve, only loopback exists', async () => {
      const r = await h.run({
        code: nodeJob(`
          const net = require('net'), dns = require('dns'), os = require('os');
          const connect = (host, port) => new Promise((res) => {
            const s = net.connect({ host, port, timeout: 3000 });
            s.on('connect', () => { s.destroy(); res('connected'); });
            s.on('timeout', () => { s.destroy(); res('timeout'); });
            s.on('error', (e) => res(e.code));
          });
          obs.tcp = await connect('1.1.1.1', 80);
          obs.tcpGateway = await connect('172.17.0.1', 2375);
          obs.dns = await new Promise((res) => dns.lookup('example.com', (e, a) => res(e ? e.code : a)));
          obs.interfaces = Object.keys(os.networkInterfaces());`),
      });
      assert.equal(r.state, 'succeeded');
      assert.equal(r.runtime, runtime);
      const obs = observed(r);
      // gVisor's own network stack (loopback only) answers EHOSTUNREACH where Linux says ENETUNREACH.
      const unreachable = runc ? ['ENETUNREACH'] : ['ENETUNREACH', 'EHOSTUNREACH'];
      assert.ok(unreachable.includes(obs.tcp as string), `tcp: ${obs.tcp}`);
      assert.ok(unreachable.includes(obs.tcpGateway as string), `tcpGateway: ${obs.tcpGateway}`);
      assert.ok(['EAI_AGAIN', 'ENOTFOUND'].includes(obs.dns as string), `dns: ${obs.dns}`);
      assert.deepEqual(obs.interfaces, ['lo']);
    });

    it('cannot write to the root, the inputs or the algorithm, only to /tmp and the outputs', async () => {
      const r = await h.run({
        inputs: [{ assetId: 'a', files: [dataset] }],
        code: nodeJob(`
          obs.root = tryErr(() => fs.writeFileSync('/evil', 'x'));
          obs.data = tryErr(() => fs.writeFileSync('/data/evil', 'x'));
          obs.inputsDir = tryErr(() => fs.writeFileSync('/data/inputs/a/evil', 'x'));
          obs.inputFile = tryErr(() => fs.appendFileSync('/data/inputs/a/data.csv', 'x'));
          obs.inputUnlink = tryErr(() => fs.unlinkSync('/data/inputs/a/data.csv'));
          obs.algorithm = tryErr(() => fs.writeFileSync('/data/transformations/algorithm/main.js', 'x'));
          obs.input = fs.readFileSync('/data/inputs/a/data.csv', 'utf8');
          obs.tmp = tryErr(() => fs.writeFileSync('/tmp/ok', 'x'));
          obs.tmpFull = tryErr(() => fs.writeFileSync('/tmp/big', Buffer.alloc(8 << 20)));`),
      });
      assert.equal(r.state, 'succeeded');
      const obs = observed(r);
      // gVisor checks permissions before the read-only mount: EACCES where runc says EROFS. Refused either way.
      for (const k of ['root', 'data', 'inputsDir', 'inputUnlink', 'algorithm']) assert.ok((runc ? ['EROFS'] : ['EROFS', 'EACCES']).includes(obs[k] as string), `${k}: ${obs[k]}`);
      // The input file is root's and 0644: permissions refuse before the read-only mount would.
      assert.ok(['EACCES', 'EROFS'].includes(obs.inputFile as string), `inputFile: ${obs.inputFile}`);
      assert.equal(obs.input, 'id,value\n1,42\n');
      assert.equal(obs.tmp, 'ok');
      assert.equal(obs.tmpFull, 'ENOSPC');
    });

    it('sees none of the provider environment, in /proc/1/environ or its own', async () => {
      const secret = `s3cret-${randomBytes(8).toString('hex')}`;
      process.env.COVE_TEST_PROVIDER_SECRET = secret;
      try {
        const r = await h.run({
          code: nodeJob(`
            obs.proc1 = fs.readFileSync('/proc/1/environ', 'utf8');
            obs.self = fs.readFileSync('/proc/self/environ', 'utf8');
            obs.env = process.env;`),
        });
        assert.equal(r.state, 'succeeded');
        const text = r.outputs!.files.get('obs.json')!.toString();
        assert.ok(!text.includes(secret), 'the provider secret reached the job');
        const env = observed(r).env as Record<string, string>;
        assert.deepEqual(Object.keys(env).sort(), ['COVE_ALGORITHM', 'COVE_INPUTS', 'COVE_JOB_ID', 'COVE_OUTPUTS', 'HOME', 'HOSTNAME', 'PATH']);
        assert.equal(env.COVE_OUTPUTS, '/data/outputs');
      } finally {
        delete process.env.COVE_TEST_PROVIDER_SECRET;
      }
    });

    it('cannot gain privileges: setuid, su and sudo fail, no capabilities, still uid 1000', async () => {
      const r = await h.run({
        image: 'python',
        code: `
import json, os, subprocess
obs = {}
def attempt(fn):
    try:
        fn(); return 'ok'
    except OSError as e:
        return e.errno
obs['setuid'] = attempt(lambda: os.setuid(0))
obs['setgid'] = attempt(lambda: os.setgid(0))
run = lambda cmd: subprocess.run(['/bin/sh', '-c', cmd], capture_output=True, text=True, stdin=subprocess.DEVNULL)
su = run('su -c "id -u" root')
obs['su'] = {'code': su.returncode, 'out': su.stdout.strip()}
sudo = run('sudo id -u')
obs['sudo'] = {'code': sudo.returncode, 'out': sudo.stdout.strip()}
status = open('/proc/self/status').read().splitlines()
obs['status'] = {l.split(':')[0]: l.split(':')[1].strip() for l in status if l.split(':')[0] in ('CapEff', 'CapPrm', 'CapBnd', 'NoNewPrivs', 'Uid')}
obs['uid'] = os.getuid()
obs['euid'] = os.geteuid()
json.dump(obs, open('/data/outputs/obs.json', 'w'))
  `,
      });
      assert.equal(r.state, 'succeeded', r.reason ?? r.error);
      const obs = observed(r) as Record<string, any>;
      assert.equal(obs.setuid, 1); // EPERM
      assert.equal(obs.setgid, 1);
      assert.notEqual(obs.su.code, 0);
      assert.notEqual(obs.su.out, '0');
      assert.equal(obs.sudo.code, 127); // not installed; and would be powerless under no-new-privileges
      assert.equal(obs.status.CapEff, '0000000000000000');
      assert.equal(obs.status.CapBnd, '0000000000000000');
      // gVisor's /proc/self/status has no NoNewPrivs line (it enforces the flag, it does not report it).
      if (runc) assert.equal(obs.status.NoNewPrivs, '1');
      assert.equal(obs.uid, 1000);
      assert.equal(obs.euid, 1000);
    });

    it(runc ? 'contains a fork bomb: forks stop at the pids limit with EAGAIN' : 'contains a fork bomb: the sandbox ends at the translated pids limit', async () => {
      const r = await h.run({
        image: 'python',
        limits: { pidsLimit: 32 },
        code: `
import json, os, time
forked, err = 0, None
for _ in range(1000):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.errno
        break
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    forked += 1
json.dump({'forked': forked, 'errno': err}, open('/data/outputs/obs.json', 'w'))
  `,
      });
      if (runc || r.state === 'succeeded') {
        assert.equal(r.state, 'succeeded', r.reason ?? r.error);
        const obs = observed(r);
        assert.equal(obs.errno, 11); // EAGAIN
        assert.ok((obs.forked as number) < 32, `forked ${obs.forked}`);
      } else {
        // Under gVisor the host limit (32 + RUNSC_PIDS_OVERHEAD) stops the sandbox itself once
        // ~5 host tasks per process exhaust it (measured: 11 forks, then exit 2): contained, no outputs.
        assert.equal(r.state, 'failed', r.reason ?? r.error);
        assert.equal(r.outputs, undefined);
      }
    });

    it('ends an unbounded fork bomb at its wall-clock limit, in bounded time', async () => {
      const t0 = Date.now();
      const r = await h.run({
        image: 'python',
        limits: { pidsLimit: 32, timeoutMs: 3000 },
        code: `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
  `,
      });
      // gVisor ends at the pids limit before the clock (see above); runc keeps forking until it.
      assert.ok((runc ? ['timed_out'] : ['timed_out', 'failed']).includes(r.state), r.state);
      assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
      assert.equal(r.outputs, undefined);
    });

    it('kills a job that allocates beyond its memory limit (oom_killed)', async () => {
      const r = await h.run({
        limits: { memoryBytes: 96 << 20 },
        code: `const keep = []; for (;;) keep.push(Buffer.alloc(8 << 20, 1));`,
      });
      assert.equal(r.state, 'oom_killed');
      assert.equal(r.exitCode, 137);
      assert.equal(r.outputs, undefined);
    });

    it('kills a job that spins forever (timed_out)', runcOnly, async () => {
      const t0 = Date.now();
      const r = await h.run({ limits: { timeoutMs: 1500 }, code: `require('fs').writeFileSync('/data/outputs/obs.json', '{}'); for (;;) {}` });
      assert.equal(r.state, 'timed_out');
      assert.ok(Date.now() - t0 >= 1500);
      assert.equal(r.outputs, undefined, 'a timed-out job releases nothing');
    });

    it('reports a non-zero exit as failed with its code', runcOnly, async () => {
      const r = await h.run({ code: `process.exit(7)` });
      assert.equal(r.state, 'failed');
      assert.equal(r.exitCode, 7);
    });
  });
}
