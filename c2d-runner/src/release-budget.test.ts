import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyOutputPolicy, guardFailedLogs, readOutputs } from './output-policy.js';
import { MAX_PATH_BYTES, nameRuleBroken, overBudget, releaseBytes } from './release-budget.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function outputs(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cove-budget-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}
const policy = (p: { maxReleaseBytes?: number; maxFiles?: number; maxBytes?: number } = {}) => ({
  maxBytes: 1e6,
  allowedPatterns: ['**'],
  logs: { tail: 10, maxBytes: 1000 } as const,
  leakGuard: { enabled: false, minRunBytes: 64 },
  ...p,
});

describe('release budget', () => {
  it('counts file contents, the UTF-8 bytes of each path, both log streams and the reason', () => {
    assert.equal(releaseBytes({}), 0);
    assert.equal(releaseBytes({ files: [{ path: 'm.json', size: 10 }, { path: 'é.json', size: 0 }] }), 10 + 6 + 7);
    assert.equal(releaseBytes({ logs: { stdout: 'ok\n', stderr: 'é', truncated: true } }), 3 + 2);
    assert.equal(releaseBytes({ logs: { stdout: 'ok\n', stderr: '', truncated: false }, reason: 'exit code 1' }), 3 + 11);
  });

  it('releases exactly at the budget and rejects one byte over, names and logs included, without quoting them', async () => {
    const dir = await outputs({ 'model.json': 'x'.repeat(90) }); // 90 + 10 name bytes
    const logs = { stdout: 'loss 0.1\n', stderr: '', truncated: false }; // 9
    const at = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: policy({ maxReleaseBytes: 109 }) }, logs });
    assert.equal(at.verdict, 'released');
    const over = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: policy({ maxReleaseBytes: 108 }) }, logs });
    assert.deepEqual(over, { verdict: 'rejected', reason: overBudget(108) });
    assert.doesNotMatch(overBudget(108), /model|loss/);
  });

  it('defaults the budget to maxBytes when a spec gives none', async () => {
    const dir = await outputs({ 'a.bin': 'x'.repeat(95) }); // 95 + 5
    assert.equal((await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: policy({ maxBytes: 100 }) } })).verdict, 'released');
    const r = await applyOutputPolicy({ outputsDir: dir, spec: { inputs: [], outputPolicy: policy({ maxBytes: 99 }) } });
    assert.equal(r.verdict, 'rejected');
  });

  it("withholds a failed job's log tail that, with its reason, goes over the budget", async () => {
    const logs = { stdout: 'x'.repeat(40), stderr: '', truncated: false };
    const spec = { inputs: [], outputPolicy: policy({ maxReleaseBytes: 50 }) };
    assert.deepEqual(await guardFailedLogs({ logs, spec, reason: 'exit 1' }), { logs });
    assert.deepEqual(await guardFailedLogs({ logs, spec, reason: 'wall-clock limit of 60000 ms' }), { withheld: 'logs exceed the release budget (maxReleaseBytes 50)' });
  });
});

describe('file channel caps', () => {
  it('accepts plain names and refuses the charset, dot segments and long names by rule', () => {
    for (const ok of ['model.json', 'plots/roc-1.json', 'a_b/c.d.e', 'x'.repeat(100)]) assert.equal(nameRuleBroken(ok), null, ok);
    for (const bad of ['my model.pkl', 'ü.json', '.hidden', 'a/.git/x', 'a/../b', 'a;b', 'a\nb', 'a\\b']) assert.equal(nameRuleBroken(bad), 'charset', bad);
    assert.equal(nameRuleBroken('x'.repeat(101)), 'segment_length');
    assert.equal(nameRuleBroken(`${'a'.repeat(64)}/${'b'.repeat(MAX_PATH_BYTES - 64)}`), 'path_length');
  });

  it('rejects more files than maxFiles (64 by default), before any other rule and naming none', async () => {
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`secret-${i}.bin`, '']));
    const dir = await outputs(many);
    assert.deepEqual(await readOutputs({ dir, maxBytes: 100, allowedPatterns: ['*.json'] }), { ok: false, reason: 'more than 64 output files (maxFiles)' });
    assert.equal((await readOutputs({ dir, maxBytes: 100, allowedPatterns: ['*'], maxFiles: 65 })).ok, true);
  });

  it('rejects a name outside the charset or too long, counting by rule, never quoting', async () => {
    const dir = await outputs({ 'ok.json': '{}', 'bad name.json': '{}', [`${'d'.repeat(80)}/${'f'.repeat(60)}`]: '' });
    const r = await readOutputs({ dir, maxBytes: 100, allowedPatterns: ['**'] });
    assert.deepEqual(r, {
      ok: false,
      reason: '1 output file name breaks the charset rule ([A-Za-z0-9._-] per segment, no leading dot); 1 output file name breaks the path length rule (at most 128 bytes)',
    });
  });

  it('rejects a directory with a name the charset refuses, without descending', async () => {
    const r = await readOutputs({ dir: await outputs({ '.cache/a.json': '{}', 'm.json': '{}' }), maxBytes: 100, allowedPatterns: ['**'] });
    assert.equal(r.ok, false);
  });
});
