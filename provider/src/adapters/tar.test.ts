import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packTar } from './tar.js';

describe('packTar', () => {
  it('writes an archive the system tar unpacks to the same files, long paths included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cove-tar-'));
    try {
      const long = 'deep/'.repeat(30) + 'file.txt';
      const files = new Map<string, Uint8Array>([
        ['metrics.json', Buffer.from('{"a":1}\n')],
        ['model.pkl', Buffer.alloc(1000, 7)],
        ['empty', Buffer.alloc(0)],
        [long, Buffer.from('x')],
      ]);
      writeFileSync(join(dir, 'b.tar'), packTar(files));
      execFileSync('tar', ['-xf', 'b.tar'], { cwd: dir });
      for (const [path, data] of files) assert.deepEqual(readFileSync(join(dir, path)), Buffer.from(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the same bytes for the same files in any insertion order', () => {
    const a = packTar(new Map([['a', Buffer.from('1')], ['b', Buffer.from('2')]]));
    const b = packTar(new Map([['b', Buffer.from('2')], ['a', Buffer.from('1')]]));
    assert.deepEqual(a, b);
  });
});
