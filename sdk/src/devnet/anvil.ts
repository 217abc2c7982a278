import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { HDNodeWallet } from 'ethers';

/** The mnemonic anvil funds its default accounts from: for local devnets only. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Private key of anvil's default account `index` (derived, so it cannot be mistyped). */
export function anvilPrivateKey(index: number): string {
  return HDNodeWallet.fromPhrase(ANVIL_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

/** Anvil's first five funded default accounts' private keys. */
export const ANVIL_DEFAULT_KEYS = [0, 1, 2, 3, 4].map(anvilPrivateKey) as unknown as readonly [string, string, string, string, string];

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
