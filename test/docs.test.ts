/**
 * Runs the examples of the per-role guides in docs/ against a real local stack, in the
 * order a team would: owner, buyer, auditor, provider operator. Every ```sh block runs in
 * bash (`set -euo pipefail`) with the role's Cove home; every ```ts block runs as a
 * program through tsx. Values one role hands to the next (ASSET_ID, JOB_ID, …) carry over
 * between blocks, as they would between people, and exported COVE_* settings carry over as
 * in one shell session. A guide whose example fails fails here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseEther } from 'ethers';
import { identityFiles, loadIdentity } from '@cove/sdk';
import { startDevnet, type Devnet } from '@cove/provider';
import { writeCliNetwork } from './lib/cli.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const GUIDES = ['owner', 'buyer', 'auditor', 'provider-operator'] as const;
/** Values one role hands to another. */
const SHARED = ['ASSET_ID', 'IMAGE', 'SPEC', 'ALGORITHM_HASH', 'JOB_ID', 'MODEL_ID', 'RESULTS'];

type Block = { lang: 'sh' | 'ts'; code: string; line: number };

/** The runnable blocks of a guide: fenced ```sh and ```ts (```text and others are prose). */
export function runnableBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /^```(sh|ts)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    blocks.push({ lang: m[1] as 'sh' | 'ts', code: m[2]!, line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

let devnet: Devnet;
let work: string;
const stateFile = () => join(work, 'state.sh');

before(async () => {
  devnet = await startDevnet();
  work = await mkdtemp(join(tmpdir(), 'cove-docs-'));
  await symlink(join(root, 'examples'), join(work, 'examples'));
  await writeFile(stateFile(), '');
  for (const role of GUIDES) await writeCliNetwork(devnet, join(work, role));
});

after(async () => {
  await devnet?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Funds the role's account once it has keys (the operator of a real network hands out test coins). */
async function fundIfNew(home: string): Promise<void> {
  if (!existsSync(identityFiles(home).keyFile)) return;
  const { address } = await loadIdentity(identityFiles(home));
  if ((await devnet.rpc.getBalance(address)) === 0n) await devnet.fund(address, parseEther('10'));
}

async function runBlock(role: string, block: Block, index: number): Promise<string> {
  const home = join(work, role);
  let command = block.code;
  if (block.lang === 'ts') {
    // Inside the repository, so `@cove/sdk` resolves; .cove/ is ignored by git and the type-check.
    const dir = join(root, '.cove', 'docs-examples');
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${role}-${index}.ts`);
    await writeFile(file, block.code);
    command = `tsx ${JSON.stringify(file)}`;
  }
  // What a reader's shell session keeps: the shared values and the COVE_* settings exported.
  const names = `${SHARED.join(' ')} $(compgen -e | grep '^COVE_' | grep -v '^COVE_HOME$' || true)`;
  const save = `for v in ${names}; do if [ -n "\${!v+x}" ]; then printf 'export %s=%q\\n' "$v" "\${!v}"; fi; done > ${JSON.stringify(stateFile())}`;
  const script = `set -euo pipefail\nsource ${JSON.stringify(stateFile())}\n${command}\n${save}\n`;
  try {
    const { stdout } = await run('bash', ['-c', script], {
      cwd: work,
      env: { ...process.env, COVE_HOME: home, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 180_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    const logs = (await readdir(work)).filter((f) => f.endsWith('.log'));
    const logText = (await Promise.all(logs.map(async (f) => `--- ${f}\n${(await readFile(join(work, f), 'utf8')).slice(-4000)}`))).join('\n');
    assert.fail(`docs/${role}.md block at line ${block.line} failed:\n${block.code}\n--- stdout\n${e.stdout ?? ''}\n--- stderr\n${e.stderr ?? e.message}\n${logText}`);
  } finally {
    await fundIfNew(home);
  }
}

for (const role of GUIDES) {
  describe(`docs/${role}.md`, () => {
    test('every example runs against a live stack', async (t) => {
      const blocks = runnableBlocks(await readFile(join(root, 'docs', `${role}.md`), 'utf8'));
      assert.ok(blocks.length > 0, 'the guide has runnable examples');
      for (const [i, block] of blocks.entries()) {
        await t.test(`${block.lang} example at line ${block.line}`, async () => {
          await runBlock(role, block, i);
        });
      }
    });
  });
}

test('the state each role hands on was actually produced', async () => {
  const state = await readFile(stateFile(), 'utf8');
  for (const name of ['ASSET_ID', 'SPEC', 'ALGORITHM_HASH', 'JOB_ID', 'MODEL_ID']) assert.match(state, new RegExp(`^export ${name}=`, 'm'));
});
