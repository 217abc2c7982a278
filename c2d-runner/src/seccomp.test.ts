import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDockerEngine } from './docker-engine.js';
import { isRunnerError } from './errors.js';
import { AF_VSOCK, coveSeccompProfile, DOCKER_DEFAULT_SECCOMP_PATH, loadCoveSeccompProfile, REMOVED_SYSCALLS, type SeccompProfile } from './seccomp.js';
import { fakeDocker, fakeMounter } from './testing/fake-docker.js';

const FIXTURE = fileURLToPath(new URL('./testing/seccomp-base.fixture.json', import.meta.url));
const base = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as SeccompProfile;
const allowed = (p: SeccompProfile) => p.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW');
const rulesFor = (p: SeccompProfile, name: string) => p.syscalls.filter((r) => (r.names ?? [r.name]).includes(name));

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('coveSeccompProfile', () => {
  it('takes io_uring, the keyring, bpf, userfaultfd, perf_event_open and socketcall out of every allowing rule', () => {
    const p = coveSeccompProfile(base());
    for (const name of REMOVED_SYSCALLS) assert.deepEqual(rulesFor(p, name), [], name);
    assert.ok(REMOVED_SYSCALLS.includes('io_uring_enter') && REMOVED_SYSCALLS.includes('request_key'));
  });

  it('allows socket for every family but AF_VSOCK, read on the low 32 bits as the kernel does', () => {
    const p = coveSeccompProfile(base());
    const socket = rulesFor(p, 'socket');
    assert.ok(socket.every((r) => r.action === 'SCMP_ACT_ALLOW' && r.names!.length === 1 && r.args!.length === 1 && r.args![0]!.index === 0));
    // What the filter does with a family: rules of one syscall are ORed, the args of a rule ANDed.
    const allows = (family: bigint) =>
      socket.some((r) =>
        r.args!.every((a) => {
          if (a.op === 'SCMP_CMP_MASKED_EQ') return (family & BigInt(a.value)) === BigInt(a.valueTwo ?? 0);
          if (a.op === 'SCMP_CMP_NE') return family !== BigInt(a.value);
          throw new Error(`unexpected op ${a.op}`);
        }),
      );
    const vsock = BigInt(AF_VSOCK);
    for (const f of [vsock, vsock | (1n << 32n), vsock | (0xffffffffn << 32n)]) assert.equal(allows(f), false, `family 0x${f.toString(16)}`);
    for (const f of [0n, 1n, 2n, 10n, 16n, 17n, 39n, 41n, 45n, 2n | (1n << 32n), 0xffffffffn]) assert.equal(allows(f), true, `family 0x${f.toString(16)}`);
    assert.equal(AF_VSOCK, 40);
  });

  it('keeps every other rule of the base as it was, and drops rules left without names', () => {
    const src = base();
    const p = coveSeccompProfile(src);
    assert.deepEqual(allowed(p)[0], { ...src.syscalls[0], names: ['read', 'write', 'socketpair'] });
    assert.deepEqual(rulesFor(p, 'personality'), [src.syscalls[1]]);
    assert.deepEqual(rulesFor(p, 'clone3'), [src.syscalls[4]], 'denying rules are kept');
    assert.equal(p.syscalls.length - rulesFor(p, 'socket').length, 3, 'the CAP_SYS_ADMIN rule and the lone perf_event_open rule are gone');
    assert.equal(p.defaultAction, 'SCMP_ACT_ERRNO');
    assert.equal(p.defaultErrnoRet, 1);
    assert.deepEqual(p.archMap, src.archMap);
  });

  it('does not change the base it is given', () => {
    const src = base();
    coveSeccompProfile(src);
    assert.deepEqual(src, base());
  });

  it('refuses a base that allows by default, or is no profile, with SECCOMP_PROFILE_UNAVAILABLE', () => {
    for (const bad of [{ ...base(), defaultAction: 'SCMP_ACT_ALLOW' }, { ...base(), defaultAction: 'SCMP_ACT_LOG' }, {}, null, [], { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'] }] }]) {
      assert.throws(() => coveSeccompProfile(bad), (e) => isRunnerError(e, 'SECCOMP_PROFILE_UNAVAILABLE'), JSON.stringify(bad));
    }
  });

  it("derives a profile from this host's Docker default (installed by scripts/ensure-docker.sh)", () => {
    const p = JSON.parse(loadCoveSeccompProfile(DOCKER_DEFAULT_SECCOMP_PATH)) as SeccompProfile;
    for (const name of REMOVED_SYSCALLS) assert.deepEqual(rulesFor(p, name), [], name);
    assert.ok(rulesFor(p, 'socket').every((r) => r.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
    assert.ok(allowed(p).some((r) => r.names?.includes('read')));
  });
});

describe('the engine and its seccomp profile', () => {
  const engineWith = async (seccompBaseProfile: string) => {
    const workRoot = await mkdtemp(join(tmpdir(), 'cove-seccomp-unit-'));
    roots.push(workRoot);
    const image = 'sha256:' + 'ab'.repeat(32);
    const fake = fakeDocker({ images: { 'img:1': image }, behave: () => ({}) });
    const engine = createDockerEngine({ docker: fake.docker, workRoot, instanceId: 'unit', concurrency: 1, mounter: fakeMounter(), seccompBaseProfile });
    return { engine, fake, image };
  };

  it('fails closed at creation when the base profile is missing or unparsable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cove-seccomp-bad-'));
    roots.push(dir);
    await writeFile(join(dir, 'broken.json'), '{"defaultAction": ');
    await writeFile(join(dir, 'allow.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }));
    for (const path of [join(dir, 'missing.json'), join(dir, 'broken.json'), join(dir, 'allow.json')]) {
      await assert.rejects(engineWith(path), (e) => isRunnerError(e, 'SECCOMP_PROFILE_UNAVAILABLE') && (e.details as { path: string }).path === path, path);
    }
  });

  it('passes the derived profile to Docker beside no-new-privileges', async () => {
    const { engine, fake, image } = await engineWith(FIXTURE);
    await engine.start({
      jobId: 'j1',
      image: 'img:1',
      allowedImageIds: [image],
      command: ['true'],
      inputs: [],
      algorithm: [{ name: 'main.js', content: 'x' }],
      outputPolicy: { maxBytes: 1000, allowedPatterns: ['*.json'], logs: 'none', leakGuard: { enabled: true } },
    });
    assert.equal((await engine.wait('j1')).state, 'succeeded');
    const opts = [...fake.containers.values()][0]!.options.HostConfig!.SecurityOpt!;
    assert.equal(opts.length, 2);
    assert.equal(opts[0], 'no-new-privileges');
    assert.ok(opts[1]!.startsWith('seccomp='));
    assert.deepEqual(JSON.parse(opts[1]!.slice('seccomp='.length)), coveSeccompProfile(base()));
  });
});
