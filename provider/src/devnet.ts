import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { pino, type Logger } from 'pino';
import { ANVIL_DEFAULT_KEYS, deployCove, startAnvil, type Anvil, type CoveContracts } from '@cove/sdk';
import { loadConfig } from './config.js';
import { startProvider, type RunningProvider } from './start.js';

export type Devnet = {
  anvil: Anvil;
  rpcUrl: string;
  /** A read provider without request caching. */
  rpc: JsonRpcProvider;
  contracts: CoveContracts;
  /** Deployed the contracts; holds anvil's funds. */
  deployer: Wallet;
  provider: RunningProvider;
  /** Working directory (provider data); removed by `close()` unless it was given. */
  dir: string;
  /** Sends `wei` of the native coin from the deployer. */
  fund(to: string, wei: bigint): Promise<void>;
  close(): Promise<void>;
};

export type StartDevnetParameters = {
  /** Keep provider data here (not removed on close); default a fresh temp dir. */
  dir?: string;
  /** Extra `COVE_*` provider settings. */
  providerEnv?: Record<string, string>;
  logger?: Logger;
};

/**
 * A whole local Cove: anvil, the contracts deployed, and a registered provider with its
 * IPFS node, SQLite database and the Docker engine. For the demo, tests and benches.
 * @example
 * const devnet = await startDevnet();
 * console.log(devnet.provider.url);
 * await devnet.close();
 */
export async function startDevnet(params: StartDevnetParameters = {}): Promise<Devnet> {
  const dir = params.dir ?? (await mkdtemp(join(tmpdir(), 'cove-devnet-')));
  const anvil = await startAnvil();
  const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const deployer = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
    const contracts = await deployCove({ signer: deployer });
    const config = loadConfig({
      COVE_PROVIDER_PORT: '0',
      COVE_PROVIDER_DATA_DIR: join(dir, 'provider'),
      COVE_PROVIDER_PRIVATE_KEY: ANVIL_DEFAULT_KEYS[1],
      COVE_RPC_URL: anvil.rpcUrl,
      COVE_DATA_NFT_ADDRESS: contracts.dataNFT,
      COVE_COMPUTE_RECEIPTS_ADDRESS: contracts.computeReceipts,
      COVE_PROVIDER_REGISTRY_ADDRESS: contracts.providerRegistry,
      COVE_LOG_LEVEL: 'warn',
      // Everyone on a devnet is on loopback: let the provider pin from the publishers' local nodes.
      COVE_PIN_ALLOW_PRIVATE_ADDRESSES: 'true',
      ...params.providerEnv,
    });
    const provider = await startProvider(config, { logger: params.logger ?? pino({ level: config.logLevel }) });
    return {
      anvil,
      rpcUrl: anvil.rpcUrl,
      rpc,
      contracts,
      deployer,
      provider,
      dir,
      async fund(to, wei) {
        await (await deployer.sendTransaction({ to, value: wei })).wait();
      },
      async close() {
        await provider.close({ stopJobs: true });
        rpc.destroy();
        await anvil.stop();
        if (params.dir === undefined) await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rpc.destroy();
    await anvil.stop();
    throw err;
  }
}
