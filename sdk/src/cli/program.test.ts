import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Interface, makeError } from 'ethers';
import { allCommands, createProgram, VERSION } from './program.js';
import { bashCompletion, zshCompletion } from './commands/completion.js';
import { describeError, oneLine } from './output.js';

/** The help a user sees for `cmd`, the text added after it included. */
function helpOf(cmd: ReturnType<typeof createProgram>): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => void (text += s), writeErr: (s) => void (text += s) });
  cmd.outputHelp();
  return text;
}

test('every command has an example in its --help', () => {
  const commands = allCommands(createProgram());
  assert.ok(commands.length >= 18, `${commands.length} commands`);
  for (const { name, command } of commands) {
    assert.match(helpOf(command), /\nExamples?:\n {2}\S/, `cove ${name} --help has an example`);
  }
});

test('--version is the version of @cove/sdk', () => {
  assert.equal(VERSION, (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
  assert.equal(createProgram().version(), VERSION);
});

test('the completion scripts name every command and parse in their shell', () => {
  const program = createProgram();
  const bash = bashCompletion(program);
  const zsh = zshCompletion(program);
  for (const c of program.commands) {
    assert.match(bash, new RegExp(`\\b${c.name()}\\b`));
    assert.match(zsh, new RegExp(`\\b${c.name()}\\b`));
  }
  assert.match(bash, /publish\) words='[^']*--allow-algorithm/);
  execFileSync('bash', ['-n'], { input: bash });
  try {
    execFileSync('zsh', ['-n'], { input: zsh });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
});

test("ethers' errors become a coded one-liner", () => {
  const revert = makeError('execution reverted (unknown custom error)', 'CALL_EXCEPTION', { action: 'estimateGas', data: '0x1234', reason: null, transaction: { to: '0x00', data: '0x' }, invocation: null, revert: null });
  assert.ok(revert.message.includes('version=6.'), 'the raw message has the tail');
  assert.deepEqual(describeError(revert), { code: 'CHAIN_CALL_REVERTED', message: 'execution reverted (unknown custom error)' });
  const iface = new Interface(['error NotOwner(address who)']);
  const named = Object.assign(makeError('execution reverted', 'CALL_EXCEPTION', { action: 'call', data: iface.encodeErrorResult('NotOwner', ['0x0000000000000000000000000000000000000001']), reason: null, transaction: { to: '0x00', data: '0x' }, invocation: null, revert: null }), {
    revert: { name: 'NotOwner', args: ['0x0000000000000000000000000000000000000001'] },
  });
  assert.equal(describeError(named).message, 'execution reverted (NotOwner: 0x0000000000000000000000000000000000000001)');
  const funds = makeError('insufficient funds for intrinsic transaction cost', 'INSUFFICIENT_FUNDS', { transaction: { to: '0x00' } });
  assert.equal(describeError(funds).code, 'INSUFFICIENT_FUNDS');
  assert.equal(oneLine(`order failed: ${revert.message}`), 'order failed: execution reverted (unknown custom error)');
  const bare = makeError('execution reverted (no data present; likely require(false) occurred', 'CALL_EXCEPTION', { action: 'call', data: null, reason: null, transaction: { to: '0x00', data: '0x' }, invocation: null, revert: null });
  assert.equal(oneLine(`getAsset: ${bare.message}`), 'getAsset: execution reverted (no data present; likely require(false) occurred)');
});

test('Node errors name the file or the address', () => {
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.csv'"), { code: 'ENOENT', path: 'x.csv' });
  assert.deepEqual(describeError(enoent), { code: 'FILE_NOT_FOUND', message: 'no such file or directory: x.csv' });
  const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 9 }) });
  assert.deepEqual(describeError(refused), { code: 'CONNECTION_FAILED', message: 'could not connect: ECONNREFUSED 127.0.0.1:9' });
});
