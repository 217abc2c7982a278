import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demuxLogs, tailLogs } from './logs.js';

function frame(type: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('logs', () => {
  it('splits multiplexed frames into stdout and stderr in order', () => {
    const raw = Buffer.concat([frame(1, 'a\n'), frame(2, 'e1\n'), frame(1, 'b\n'), frame(2, 'e2\n')]);
    const { stdout, stderr } = demuxLogs(raw);
    assert.equal(stdout.toString(), 'a\nb\n');
    assert.equal(stderr.toString(), 'e1\ne2\n');
  });

  it('treats a stream without frame headers as stdout', () => {
    assert.equal(demuxLogs(Buffer.from('plain text from a tty\n')).stdout.toString(), 'plain text from a tty\n');
  });

  it('keeps a truncated last frame as far as it goes', () => {
    const raw = Buffer.concat([frame(1, 'whole\n'), frame(1, 'partial line').subarray(0, 12)]);
    assert.equal(demuxLogs(raw).stdout.toString(), 'whole\npart');
  });

  it('releases the last N lines of each stream', () => {
    const logs = tailLogs({ stdout: Buffer.from('1\n2\n3\n4\n'), stderr: Buffer.from('x\ny') }, { tail: 2, maxBytes: 1000 });
    assert.deepEqual(logs, { stdout: '3\n4\n', stderr: 'x\ny', truncated: true });
    assert.equal(tailLogs({ stdout: Buffer.from('1\n2\n'), stderr: Buffer.alloc(0) }, { tail: 2, maxBytes: 1000 }).truncated, false);
  });

  it('caps the released bytes, dropping the oldest first', () => {
    const stdout = Buffer.from('a'.repeat(100) + '\n');
    const stderr = Buffer.from('b'.repeat(100) + '\n');
    const logs = tailLogs({ stdout, stderr }, { tail: 10, maxBytes: 50 });
    assert.equal(logs.stdout.length + logs.stderr.length, 50);
    assert.ok(logs.stdout.endsWith('a\n') && logs.stderr.endsWith('b\n'));
    assert.equal(logs.truncated, true);
    const small = tailLogs({ stdout: Buffer.from('ok\n'), stderr }, { tail: 10, maxBytes: 50 });
    assert.equal(small.stdout, 'ok\n');
    assert.equal(small.stderr.length, 47);
  });
});
