import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoveError } from '../errors.js';
import { jsonReplacer, printError } from './output.js';

function capture(fn: () => number): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write;
  const e = process.stderr.write;
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof o;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof e;
  try {
    return { code: fn(), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

test('prints a CoveError as one line with its code and no stack', () => {
  const r = capture(() => printError({ json: false, debug: false }, new CoveError('JOB_NOT_FOUND', 'no job 0x12')));
  assert.equal(r.code, 1);
  assert.equal(r.err, 'cove: JOB_NOT_FOUND: no job 0x12\n');
  assert.equal(r.out, '');
});

test('prints the stack only with --debug', () => {
  const r = capture(() => printError({ json: false, debug: true }, new CoveError('X_Y', 'boom')));
  assert.match(r.err, /^cove: X_Y: boom\n.*at /s);
});

test('answers errors as JSON with --json and exits 2 on usage errors', () => {
  const r = capture(() => printError({ json: true, debug: false }, new CoveError('USAGE', 'missing --name', { details: { option: 'name' } })));
  assert.equal(r.code, 2);
  assert.deepEqual(JSON.parse(r.out), { error: { code: 'USAGE', message: 'missing --name', details: { option: 'name' } } });
});

test('labels foreign errors UNEXPECTED unless they carry an upper-case code', () => {
  assert.match(capture(() => printError({ json: false, debug: false }, new Error('x'))).err, /^cove: UNEXPECTED: x/);
  const sys = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
  assert.match(capture(() => printError({ json: false, debug: false }, sys)).err, /^cove: ECONNREFUSED: refused/);
});

test('serialises bigints and bytes in JSON output', () => {
  assert.equal(JSON.stringify({ a: 10n, b: new Uint8Array([1, 255]) }, jsonReplacer), '{"a":"10","b":"01ff"}');
});
