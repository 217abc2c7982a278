import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Anvil's first default account (mnemonic "test test … junk"): for local devnets only. */
export const ANVIL_DEFAULT_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1d1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
] as const;

export type AnvilParameters = {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Seconds per block; omitted = mine on every transaction. */
  blockTime?: number;
  chainId?: number;
  /** Path of the anvil binary; defaults to `anvil` on PATH (node_modules/.bin under npm). */
  bin?: string;
};

export type Anvil = {
  rpcUrl: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
};

/**
 * Starts a local anvil node and resolves once it listens.
 * @example
 * const anvil = await startAnvil();
 * const provider = new JsonRpcProvider(anvil.rpcUrl);
 * await anvil.stop();
 */
export async function startAnvil(params: AnvilParameters = {}): Promise<Anvil> {
  const args = ['--port', String(params.port ?? 0), '--host', '127.0.0.1'];
  if (params.blockTime !== undefined) args.push('--block-time', String(params.blockTime));
  if (params.chainId !== undefined) args.push('--chain-id', String(params.chainId));
  const child = spawn(params.bin ?? 'anvil', args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on [\d.]+:(\d+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume(); // keep draining so anvil never blocks on a full pipe
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`anvil exited (${code}) before listening: ${out.slice(-500)}`)));
  });

  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
