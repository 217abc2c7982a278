import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createJobView, createProgress, formatBytesLine, terminalOf } from './progress.js';

/** A stderr stand-in: a terminal or not, collecting what is written. */
function fakeStream(isTTY: boolean): PassThrough & { isTTY: boolean; columns: number; text(): string } {
  const chunks: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 100, text: () => chunks.join('') });
  stream.on('data', (b: Buffer) => chunks.push(b.toString()));
  return stream;
}

const MiB = 1024 ** 2;
const SGR = /\x1b\[[0-9;]*m/;

async function drive(stream: ReturnType<typeof fakeStream>, env: NodeJS.ProcessEnv, opts: { enabled?: boolean; plainStatus?: boolean } = {}): Promise<string> {
  const bar = createProgress('download', { enabled: opts.enabled ?? true, stream, env, ...(opts.plainStatus === undefined ? {} : { plainStatus: opts.plainStatus }) });
  bar.update(1 * MiB, 4 * MiB);
  bar.status('connected');
  await new Promise((r) => setTimeout(r, 250));
  bar.update(3 * MiB);
  bar.done('done');
  await new Promise((r) => setImmediate(r));
  return stream.text();
}

test('not a terminal: no bar, nothing written, no escape code', async () => {
  assert.equal(await drive(fakeStream(false), {}), '');
  // --follow's plain status lines: text only.
  const plain = await drive(fakeStream(false), {}, { plainStatus: true });
  assert.equal(plain, 'download: connected\ndownload: done\n');
});

test('--json (disabled), or TERM=dumb: nothing on a terminal either', async () => {
  assert.equal(await drive(fakeStream(true), {}, { enabled: false }), '');
  assert.equal(await drive(fakeStream(true), { TERM: 'dumb' }), '');
  assert.deepEqual(terminalOf({ enabled: true, stream: fakeStream(true), env: { TERM: 'dumb' } }), { live: false, color: false });
});

test('a terminal: bytes of total, rate and ETA, coloured unless NO_COLOR', async () => {
  const colored = await drive(fakeStream(true), { TERM: 'xterm' });
  assert.match(colored, /download {2}.*3\.0 MiB \/ 4\.0 MiB {2}[0-9.]+ MiB\/s {2}ETA 0:0\d/);
  assert.match(colored, /\x1b\[36m█/);
  assert.match(colored, /download: connected\n/);
  const plain = await drive(fakeStream(true), { TERM: 'xterm', NO_COLOR: '1' });
  assert.match(plain, /3\.0 MiB \/ 4\.0 MiB/);
  assert.doesNotMatch(plain, SGR, 'no colour with NO_COLOR');
  // An empty NO_COLOR does not count (no-color.org); FORCE_COLOR=0 turns colour off too.
  assert.equal(terminalOf({ enabled: true, stream: fakeStream(true), env: { NO_COLOR: '' } }).color, true);
  assert.equal(terminalOf({ enabled: true, stream: fakeStream(true), env: { FORCE_COLOR: '0' } }).color, false);
});

test('a narrow terminal: the line is cut to its width, never wrapped, and wrapping is never turned off', async () => {
  const stream = Object.assign(fakeStream(true), { columns: 30 });
  const out = await drive(stream, { TERM: 'xterm' });
  const drawn = out.split('\x1b[1G').map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')).filter((l) => l.startsWith('download  '));
  assert.ok(drawn.length > 0, out);
  for (const line of drawn) assert.ok(line.length < 30, `cut to the width: ${JSON.stringify(line)}`);
  assert.doesNotMatch(out, /\x1b\[\?7l|\x1b\[\?25l/, 'no wrap-off or cursor-hide escape for a Ctrl-C to leave behind');
});

test('the bytes line: bar, bytes of total, rate, ETA; no bar or ETA while the total is unknown', () => {
  assert.equal(formatBytesLine({ title: 'upload', done: MiB, total: 4 * MiB, seconds: 2, color: false }), `upload  ${'█'.repeat(6)}${'░'.repeat(18)}  1.0 MiB / 4.0 MiB  512 KiB/s  ETA 0:06`);
  assert.equal(formatBytesLine({ title: 'results', done: 2048, total: 0, seconds: 1, color: false, label: 'x' }), 'results  2.0 KiB  2.0 KiB/s  x');
});

test('a job view: state lines plain where there is no terminal, none without plainStatus', async () => {
  const stream = fakeStream(false);
  const view = createJobView(`0x${'ab'.repeat(32)}`, { enabled: true, stream, env: {}, plainStatus: true, elapsed: () => 0 });
  view.state('queued', '[0:00] queued');
  view.state('running');
  view.state('running', '[0:01] running');
  view.done();
  const quiet = fakeStream(false);
  const none = createJobView(`0x${'ab'.repeat(32)}`, { enabled: true, stream: quiet, env: {}, elapsed: () => 0 });
  none.state('queued', '[0:00] queued');
  none.done();
  await new Promise((r) => setImmediate(r));
  assert.equal(stream.text(), '[0:00] queued\n[0:01] running\n');
  assert.equal(quiet.text(), '');
});
