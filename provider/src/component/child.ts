/** Runs `provider/src/main.ts` as a child process (restart tests, benches). */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

export type ChildProvider = { child: ChildProcess; url: string; address: string; ipfs: string[] };

/** Spawns the provider with `env` and resolves once it prints its `listening` line. */
export function spawnProvider(env: Record<string, string>): Promise<ChildProvider> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()).length > 100_000 && (err = err.slice(-20_000)));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, ...(JSON.parse(line) as { url: string; address: string; ipfs: string[] }) });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`provider exited (${code}): ${err.slice(-2000)}`)));
  });
}
