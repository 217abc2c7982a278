import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { TEST_IMAGES } from '../../test/lib/images.js';
import type { JobRuntime } from './runtime.js';
import { createHarness, observed, type Harness } from './testing/harness.js';
import { runtimesUnderTest } from './testing/runtimes.js';

const sh = promisify(execFile);
const EPERM = 1;
const EACCES = 13;
const ENODEV = 19;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;

/**
 * Calls each hostile syscall through ctypes `syscall()` and records 0 on success or the errno.
 * Writes obs.json when run as a job, prints the JSON otherwise.
 */
const PROBE = `
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
arm = os.uname().machine == 'aarch64'
NR = {'io_uring_setup': 425, 'keyctl': 219 if arm else 250, 'bpf': 280 if arm else 321, 'userfaultfd': 282 if arm else 323,
      'perf_event_open': 241 if arm else 298, 'socket': 198 if arm else 41}
def call(name, *args, keep=False):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(NR[name]), *[ctypes.c_long(a) for a in args])
    if r < 0:
        return ctypes.get_errno()
    if not keep:
        os.close(r)
    return 0
buf = ctypes.create_string_buffer(256)
obs = {
    'io_uring_setup': call('io_uring_setup', 1, ctypes.addressof(buf)),
    'vsock': call('socket', 40, 1, 0),
    # The kernel reads the family as an int: the high bits must not smuggle AF_VSOCK past the filter.
    'vsockHighBits': call('socket', 40 | (1 << 32), 1, 0),
    'keyctl': call('keyctl', 0, -3, 0, keep=True),  # KEYCTL_GET_KEYRING_ID of the session keyring
    'bpf': call('bpf', 0, ctypes.addressof(buf), 64),  # BPF_MAP_CREATE
    'userfaultfd': call('userfaultfd', 0),
    'perf_event_open': call('perf_event_open', ctypes.addressof(buf), 0, -1, -1, 0),
    'inet': call('socket', 2, 1, 0),
    'unix': call('socket', 1, 1, 0),
    # 2: a seccomp filter is loaded (runc); gVisor reports 0, it does not load the OCI profile.
    'seccompMode': [l.split(':')[1].strip() for l in open('/proc/self/status') if l.startswith('Seccomp:')][0],
}
out = os.environ.get('COVE_OUTPUTS')
if out:
    open(os.path.join(out, 'obs.json'), 'w').write(json.dumps(obs))
else:
    print(json.dumps(obs))
`;

/**
 * Under runc the Cove profile answers; under runsc (gVisor) the profile is not loaded inside the
 * sandbox (Debian's runsc 20221219 has `--oci-seccomp`, but ignores `errnoRet`, so clone3 fails
 * EPERM instead of ENOSYS and no thread starts: docs/runner.md, Runtimes) and the sentry answers
 * itself, as measured and asserted here.
 */
for (const { runtime, skip } of await runtimesUnderTest('hostile-syscalls')) syscallsSuite(runtime, skip);

function syscallsSuite(runtime: JobRuntime, skip: string | false) {
  const runc = runtime === 'runc';
  describe(`hostile algorithms: syscalls the Cove seccomp profile refuses (${runtime})`, { skip }, () => {
    let h: Harness;
    before(async () => {
      h = await createHarness({ concurrency: 2, runtime });
      assert.equal((await h.engine.runtime()).runtime, runtime);
    });
    afterEach(async () => h.assertClean());
    after(async () => h.close());

    it(runc ? 'refuses io_uring, AF_VSOCK sockets, keyctl, bpf, userfaultfd and perf_event_open with EPERM' : 'answers io_uring, AF_VSOCK, keyctl, bpf, userfaultfd and perf_event_open as gVisor does (the profile is not loaded inside)', async () => {
      const r = await h.run({ image: 'python', code: PROBE });
      assert.equal(r.state, 'succeeded', JSON.stringify(r));
      assert.equal(r.runtime, runtime);
      const obs = observed(r);
      if (runc) {
        assert.equal(obs.seccompMode, '2', 'no seccomp filter on the job');
        // EPERM is the filter's answer; EAFNOSUPPORT would mean the call reached the kernel.
        assert.equal(obs.vsock, EPERM, `vsock: ${obs.vsock}`);
        assert.equal(obs.vsockHighBits, EPERM, `vsock with high bits: ${obs.vsockHighBits}`);
        for (const name of ['io_uring_setup', 'keyctl', 'bpf', 'userfaultfd', 'perf_event_open']) {
          assert.ok([EPERM, ENOSYS].includes(obs[name] as number), `${name}: ${obs[name]}`);
        }
        return;
      }
      // gVisor: no filter inside (Seccomp 0); none of these reaches the host kernel, the sentry
      // serves every call. Measured with Debian's runsc 20221219 (ptrace platform); exact, so a
      // runsc that starts applying the profile (all EPERM) or changes its answers fails here.
      assert.equal(obs.seccompMode, '0');
      assert.equal(obs.vsock, EAFNOSUPPORT, `vsock: ${obs.vsock}`); // the sentry has no vsock family
      assert.equal(obs.vsockHighBits, EAFNOSUPPORT, `vsock with high bits: ${obs.vsockHighBits}`);
      assert.equal(obs.keyctl, EACCES, `keyctl: ${obs.keyctl}`); // the sentry's own (per-sandbox) keyrings
      assert.equal(obs.bpf, EPERM, `bpf: ${obs.bpf}`);
      assert.equal(obs.userfaultfd, ENOSYS, `userfaultfd: ${obs.userfaultfd}`); // not implemented by the sentry
      assert.equal(obs.perf_event_open, ENODEV, `perf_event_open: ${obs.perf_event_open}`);
      // io_uring_setup succeeds: the sentry implements io_uring itself, in user space, so the
      // host kernel's io_uring is not what the job reaches. Still the one refusal of the Cove
      // profile that gVisor does not reproduce (docs/runner.md, Runtimes).
      assert.equal(obs.io_uring_setup, 0, `io_uring_setup: ${obs.io_uring_setup}`);
    });

    it('still lets a job create AF_INET and AF_UNIX sockets without a network', async () => {
      const obs = observed(await h.run({ image: 'python', code: PROBE }));
      assert.equal(obs.inet, 0);
      assert.equal(obs.unix, 0);
    });

    it('still runs an ordinary training job (numpy, scikit-learn, joblib threads) to success', async () => {
      const r = await h.run({
        image: 'python',
        code: `
import json, os
import numpy as np
from sklearn.linear_model import LogisticRegression
from joblib import Parallel, delayed
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
score = LogisticRegression().fit(X, y).score(X, y)
squares = Parallel(n_jobs=2, prefer='threads')(delayed(lambda i: i * i)(i) for i in range(4))
open(os.path.join(os.environ['COVE_OUTPUTS'], 'obs.json'), 'w').write(json.dumps({'score': score, 'squares': squares}))`,
      });
      assert.equal(r.state, 'succeeded', JSON.stringify(r));
      const obs = observed(r);
      assert.ok((obs.score as number) > 0.9);
      assert.deepEqual(obs.squares, [0, 1, 4, 9]);
    });

    // Compares with Docker's default profile under runc (plain `docker run`); gVisor loads neither profile.
    it("lets io_uring or AF_VSOCK through under Docker's default profile, so the probe would catch a missing profile", { skip: runc ? false : 'runc only: it compares seccomp profiles, which gVisor does not load' }, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'cove-probe-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      await chmod(dir, 0o755);
      await writeFile(join(dir, 'probe.py'), PROBE, { mode: 0o644 });
      // The same restrictions as a job, but Docker's default seccomp profile.
      const { stdout } = await sh('docker', [
        'run', '--rm', '--network', 'none', '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--user', '1000:1000',
        '-v', `${dir}:/probe:ro`, TEST_IMAGES.python, 'python3', '/probe/probe.py',
      ]);
      const obs = JSON.parse(stdout) as Record<string, number>;
      t.diagnostic(`under Docker's default profile: ${stdout.trim()}`);
      assert.ok(obs.io_uring_setup !== EPERM || obs.vsock !== EPERM, `the host refuses both anyway: ${stdout}`);
      assert.equal(obs.inet, 0);
    });
  });
}
