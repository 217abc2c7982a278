import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { listingHash } from './hashing.js';
import { applyOutputPolicy, guardFailedLogs, readOutputs } from './output-policy.js';
import { canTransition } from './state.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function outputs(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-out-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

describe('output policy', () => {
  it('releases matching files with their hashes and the canonical outputsHash', async () => {
    const dir = await outputs({ 'model.pkl': 'weights', 'metrics.json': '{}', 'plots/roc.json': '[]' });
    const v = await applyOutputPolicy({
      outputsDir: dir,
      spec: { inputs: [], outputPolicy: { maxBytes: 100, allowedPatterns: ['*.pkl', '**/*.json'], logs: 'none', leakGuard: { enabled: true, minRunBytes: 64 } } },
    });
    assert.equal(v.verdict, 'released');
    if (v.verdict !== 'released') return;
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    assert.deepEqual(v.outputs.manifest.files, [
      { path: 'metrics.json', size: 2, sha256: sha('{}') },
      { path: 'model.pkl', size: 7, sha256: sha('weights') },
      { path: 'plots/roc.json', size: 2, sha256: sha('[]') },
    ]);
    const lines = `metrics.json\0${sha('{}')}\nmodel.pkl\0${sha('weights')}\nplots/roc.json\0${sha('[]')}\n`;
    assert.equal(v.outputs.manifest.outputsHash, sha(lines));
    assert.equal(v.outputs.files.get('model.pkl')!.toString(), 'weights');
  });

  it('orders the listing by UTF-8 bytes, whatever order the entries come in', () => {
    const a = listingHash([{ path: 'é.json', sha256: '1' }, { path: 'z.json', sha256: '2' }, { path: 'Z.json', sha256: '3' }]);
    const b = listingHash([{ path: 'Z.json', sha256: '3' }, { path: 'é.json', sha256: '1' }, { path: 'z.json', sha256: '2' }]);
    assert.equal(a, b);
    assert.equal(a, createHash('sha256').update('Z.json\x003\nz.json\x002\né.json\x001\n').digest('hex'));
  });

  it('rejects a file outside the patterns, counting without naming; patterns apply to the relative path', async () => {
    const r = await readOutputs({ dir: await outputs({ 'sub/model.pkl': 'x', 'top.pkl': 'y' }), maxBytes: 100, allowedPatterns: ['*.pkl'] });
    assert.deepEqual(r, { ok: false, reason: '1 of 2 output files do not match the allowed patterns' });
  });

  it('rejects outputs over the size cap, counting every file', async () => {
    const dir = await outputs({ 'a.bin': 'x'.repeat(60), 'b.bin': 'y'.repeat(60) });
    assert.equal((await readOutputs({ dir, maxBytes: 120, allowedPatterns: ['*.bin'] })).ok, true);
    const r = await readOutputs({ dir, maxBytes: 119, allowedPatterns: ['*.bin'] });
    assert.deepEqual(r, { ok: false, reason: 'outputs exceed maxBytes (119)' });
  });

  it('rejects symlinks (even to allowed files) and FIFOs without following or opening them', async () => {
    const notRegular = (n: string, kinds: string) => ({ ok: false, reason: `${n} not a regular file (${kinds}); only regular files and directories are released` });
    const dir = await outputs({ 'real.json': '{}' });
    await symlink(join(dir, 'real.json'), join(dir, 'link.json'));
    assert.deepEqual(await readOutputs({ dir, maxBytes: 100, allowedPatterns: ['*.json'] }), notRegular('1 output entry is', 'symlink'));
    const dir2 = await outputs({});
    await mkdir(join(dir2, 'd'));
    await symlink('/etc', join(dir2, 'd', 'etc'));
    execFileSync('mkfifo', [join(dir2, 'd', 'pipe.json')]);
    assert.deepEqual(await readOutputs({ dir: dir2, maxBytes: 100, allowedPatterns: ['**'] }), notRegular('2 output entries are', 'fifo, symlink'));
    const dir3 = await outputs({});
    execFileSync('mkfifo', [join(dir3, 'pipe.json')]);
    assert.deepEqual(await readOutputs({ dir: dir3, maxBytes: 100, allowedPatterns: ['*.json'] }), notRegular('1 output entry is', 'fifo'));
  });

  it('rejects file names with control characters', async () => {
    const r = await readOutputs({ dir: await outputs({ 'a\nb.json': '{}' }), maxBytes: 100, allowedPatterns: ['*'] });
    assert.deepEqual(r, { ok: false, reason: '1 output file name breaks the charset rule ([A-Za-z0-9._-] per segment, no leading dot)' });
  });

  it('runs the leak guard over files and the released logs', async () => {
    const text = Array.from({ length: 20 }, () => Math.random().toFixed(10)).join(',');
    const input = join(await outputs({ 'data.csv': text }), 'data.csv');
    const spec = { inputs: [{ assetId: 'a', mounts: [{ host: input, target: '/data/inputs/a/data.csv' }] }], outputPolicy: { maxBytes: 1e6, allowedPatterns: ['*'], logs: { tail: 10, maxBytes: 1000 }, leakGuard: { enabled: true, minRunBytes: 16 } } };
    const clean = await applyOutputPolicy({ outputsDir: await outputs({ 'm.json': '{"acc":0.93}' }), spec, logs: { stdout: 'done\n', stderr: '', truncated: false } });
    assert.equal(clean.verdict, 'released');
    const leaky = await applyOutputPolicy({ outputsDir: await outputs({ 'm.json': '{}' }), spec, logs: { stdout: `loss ${text.slice(40, 60)}\n`, stderr: '', truncated: false } });
    assert.equal(leaky.verdict, 'rejected');
    assert.match(leaky.verdict === 'rejected' ? leaky.reason : '', /^logs:stdout repeats 16\+ bytes of input asset a verbatim$/);
    const inFile = await applyOutputPolicy({ outputsDir: await outputs({ 'm.json': text.slice(100, 116) }), spec });
    assert.match(inFile.verdict === 'rejected' ? inFile.reason : '', /^output file 1 of 1 repeats 16\+ bytes of input asset a verbatim$/);
  });

  it('rejects a pickle by content whatever its name, after the release budget and before the leak guard, unless allowUnsafeFormats', async () => {
    const pickle = "cos\nsystem\n(S'echo hi'\ntR."; // protocol 0: loading it runs a shell command
    const policy = { maxBytes: 1e6, allowedPatterns: ['*.json'], logs: 'none' as const, leakGuard: { enabled: true, minRunBytes: 16 } };
    const dir = await outputs({ 'a.json': '{}', 'model.json': pickle, 'z.json': '[]' });
    const refused = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: policy } });
    assert.deepEqual(refused, {
      verdict: 'rejected',
      reason: 'output file 2 of 3 is a pickle, an unsafe format (loading it runs code); the output policy does not allow unsafe formats',
    });
    const allowed = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: { ...policy, allowUnsafeFormats: true } } });
    assert.equal(allowed.verdict, 'released');
    const overBudget = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: { ...policy, maxReleaseBytes: 20 } } });
    assert.match(overBudget.verdict === 'rejected' ? overBudget.reason : '', /release budget/);
    // A pickle that also repeats the input: the format is named, not the leak.
    const input = join(await outputs({ 'data.csv': pickle }), 'data.csv');
    const both = await applyOutputPolicy({ outputsDir: await outputs({ 'm.json': pickle }), spec: { inputs: [{ assetId: 'a', mounts: [{ host: input, target: '/data/inputs/a/data.csv' }] }], outputPolicy: policy } });
    assert.match(both.verdict === 'rejected' ? both.reason : '', /^output file 1 of 1 is a pickle, an unsafe format/);
  });

  it("withholds a failed job's log tail that repeats input, and releases a clean one or an unguarded one", async () => {
    const text = Array.from({ length: 20 }, () => Math.random().toFixed(10)).join(',');
    const input = join(await outputs({ 'data.csv': text }), 'data.csv');
    const inputs = [{ assetId: 'a', mounts: [{ host: input, target: '/data/inputs/a/data.csv' }] }];
    const policy = { maxBytes: 1e6, allowedPatterns: ['*'], logs: { tail: 10, maxBytes: 1000 }, leakGuard: { enabled: true, minRunBytes: 16 } };
    const clean = { stdout: 'epoch 1\n', stderr: 'Traceback: ValueError\n', truncated: false };
    assert.deepEqual(await guardFailedLogs({ logs: clean, spec: { inputs, outputPolicy: policy } }), { logs: clean });
    const leaky = { stdout: '', stderr: `ValueError: bad row ${text.slice(30, 50)}\n`, truncated: false };
    const withheld = await guardFailedLogs({ logs: leaky, spec: { inputs, outputPolicy: policy } });
    assert.match('withheld' in withheld ? withheld.withheld : '', /^leak guard: logs:stderr repeats 16\+ bytes of input asset a verbatim$/);
    const unguarded = await guardFailedLogs({ logs: leaky, spec: { inputs, outputPolicy: { ...policy, leakGuard: { enabled: false, minRunBytes: 16 } } } });
    assert.deepEqual(unguarded, { logs: leaky });
  });
});

describe('job state machine', () => {
  it('allows only forward transitions, never out of a terminal state', () => {
    assert.equal(canTransition(null, 'queued'), true);
    assert.equal(canTransition(null, 'running'), true); // adopted after a restart
    assert.equal(canTransition(null, 'succeeded'), false);
    assert.equal(canTransition('queued', 'running'), false);
    assert.equal(canTransition('queued', 'stopped'), true);
    assert.equal(canTransition('running', 'succeeded'), false);
    assert.equal(canTransition('collecting', 'output_rejected'), true);
    for (const t of ['succeeded', 'failed', 'timed_out', 'oom_killed', 'stopped', 'output_rejected', 'engine_error'] as const) {
      assert.equal(canTransition(t, 'running'), false);
      assert.equal(canTransition(t, 'stopped'), false);
    }
  });
});
