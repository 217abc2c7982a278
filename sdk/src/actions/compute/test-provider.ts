/**
 * Runs the real provider (`provider/src/main.ts`) as a child process over a test world:
 * the SDK talks to it only through HTTP, the chain and IPFS, as any client would. Test-only.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestWorld } from '../assets/test-world.js';

/** Runtime image of the tests (env-overridable, built by scripts/build-images.sh). */
export const TEST_NODE_IMAGE = process.env.COVE_NODE_IMAGE ?? 'cove/node-runtime:24';

const MAIN = fileURLToPath(new URL('../../../../provider/src/main.ts', import.meta.url));

/** The local image ID (`sha256:…`) of `ref`. */
export async function imageId(ref: string): Promise<string> {
  const { stdout } = await promisify(execFile)('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]);
  return stdout.trim();
}

export type ProviderProcess = { url: string; address: string; ipfs: string[]; child: ChildProcess; stop(): Promise<void> };

/** Starts the provider with the world's provider key, dialling `peers` (the clients' IPFS nodes). */
export async function startProviderProcess(w: TestWorld, params: { peers: string[]; name?: string }): Promise<ProviderProcess> {
  const env = {
    ...process.env,
    COVE_PROVIDER_PORT: '0',
    COVE_PROVIDER_DATA_DIR: join(w.dir, params.name ?? 'provider'),
    COVE_PROVIDER_PRIVATE_KEY: w.provider.wallet.privateKey,
    COVE_PROVIDER_X25519_KEY_FILE: join(w.dir, `${params.name ?? 'provider'}-x25519.json`),
    COVE_RPC_URL: w.anvil.rpcUrl,
    COVE_DATA_NFT_ADDRESS: w.cove.dataNFT,
    COVE_COMPUTE_RECEIPTS_ADDRESS: w.cove.computeReceipts,
    COVE_PROVIDER_REGISTRY_ADDRESS: w.cove.providerRegistry,
    COVE_IPFS_PEERS: params.peers.join(','),
    COVE_LOG_LEVEL: 'silent',
    // The test publishers' nodes listen on loopback, which a provider refuses to dial by default.
    COVE_PIN_ALLOW_PRIVATE_ADDRESSES: 'true',
    COVE_ENVIRONMENTS: JSON.stringify([{ id: 'default', cpus: 1, memoryBytes: 512 * 1024 * 1024, timeoutSeconds: 60, images: [TEST_NODE_IMAGE] }]),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const ready = await new Promise<{ url: string; address: string; ipfs: string[] }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`provider exited (${code}) before listening: ${stderr}`)));
  });
  return {
    ...ready,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      // The grace timer is cleared once the child exits: left armed, it kept the test process alive 10 s.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (grace = setTimeout(r, 10_000)))]);
      clearTimeout(grace);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
