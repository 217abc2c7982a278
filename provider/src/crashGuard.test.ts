import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { installCrashGuard } from './crashGuard.js';

describe('installCrashGuard', () => {
  it('logs uncaught exceptions and unhandled rejections, once per process however often it is installed', () => {
    const target = new EventEmitter();
    const logged: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { error: (obj: Record<string, unknown>, msg: string) => void logged.push({ obj, msg }) };
    assert.equal(installCrashGuard({ logger: logger as never, target: target as never }), true);
    assert.equal(installCrashGuard({ logger: logger as never, target: target as never }), false);
    const boom = new Error('boom');
    target.emit('uncaughtException', boom, 'uncaughtException');
    target.emit('unhandledRejection', 'nope', Promise.resolve());
    assert.deepEqual(logged.map((l) => [l.obj.err, l.msg]), [
      [boom, 'uncaught exception (still serving)'],
      ['nope', 'unhandled promise rejection (still serving)'],
    ]);
    assert.equal(target.listenerCount('uncaughtException'), 1);
  });

  it('keeps a real process alive past a throw in a callback and a rejection nobody awaits', async () => {
    const guard = fileURLToPath(new URL('./crashGuard.ts', import.meta.url));
    const program = `
      import { pino } from 'pino';
      import { installCrashGuard } from ${JSON.stringify(guard)};
      installCrashGuard({ logger: pino({ base: null }) });
      setTimeout(() => { throw new Error('thrown in a timer'); }, 10);
      setTimeout(() => { void Promise.reject(new Error('rejected, never awaited')); }, 20);
      setTimeout(() => { process.stdout.write('ALIVE\\n'); }, 200);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    assert.equal(lines.at(-1), 'ALIVE');
    const logs = lines.slice(0, -1).map((l) => JSON.parse(l) as { level: number; msg: string; err: { message: string } });
    assert.deepEqual(logs.map((l) => [l.level, l.msg, l.err.message]), [
      [50, 'uncaught exception (still serving)', 'thrown in a timer'],
      [50, 'unhandled promise rejection (still serving)', 'rejected, never awaited'],
    ]);
  });
});
