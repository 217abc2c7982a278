/**
 * Test fixtures for the actions: anvil with Cove deployed, a MockERC20 base token, funded
 * wallets, real Helia nodes on temp dirs and a client per role. Test-only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractFactory, JsonRpcProvider, Wallet, type Contract } from 'ethers';
import { createCoveClientBase, type CoveClientBase } from '../../client/base.js';
import { deployCove, mockErc20Abi, type CoveContracts } from '../../contracts/index.js';
import { mockErc20Bytecode } from '../../contracts/generated/bytecode.js';
import { generateKeyPair, encodeKey, type KeyPair } from '../../crypto/keys.js';
import { startAnvil, ANVIL_DEFAULT_KEYS, type Anvil } from '../../devnet/anvil.js';
import { createStorageNode, type StorageNode } from '../../storage/helia.js';
import type { AssetDocumentInput } from '../../asset/schema.js';

export const ONE = 10n ** 18n;

/** A permissive compute policy for tests (any algorithm on one fake image). */
export const TEST_COMPUTE_POLICY: NonNullable<AssetDocumentInput['computePolicy']> = {
  allowedImages: ['sha256:' + 'ab'.repeat(32)],
  allowAnyAlgorithm: true,
  limits: { cpus: 1, memoryBytes: 256 * 1024 * 1024, timeoutSeconds: 60, pidsLimit: 64, outputBytes: 1024 * 1024 },
  outputPolicy: { maxBytes: 1024 * 1024, allowedPatterns: ['*.json'], logs: 'tail:20', leakGuard: { enabled: true, minRunBytes: 64 } },
};

export type TestWorld = {
  anvil: Anvil;
  rpc: JsonRpcProvider;
  cove: CoveContracts;
  deployer: Wallet;
  dir: string;
  /** The publisher's node (listens, so a provider can fetch from it). */
  storage: StorageNode;
  base: Contract;
  baseAddress: string;
  /** A provider identity without a service: an address and an X25519 key pair. */
  provider: { wallet: Wallet; keys: KeyPair; address: string; x25519PublicKey: string };
  /** A funded wallet and a client bound to it (sharing the publisher's node unless given one). */
  account(params?: { storage?: StorageNode; eth?: bigint }): Promise<{ wallet: Wallet; client: CoveClientBase; keys: KeyPair }>;
  node(name: string, listen?: boolean): Promise<StorageNode>;
  close(): Promise<void>;
};

/** Starts the world; `close()` stops everything and removes the temp dir. */
export async function createTestWorld(): Promise<TestWorld> {
  const anvil = await startAnvil();
  const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const deployer = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
  const cove = await deployCove({ signer: deployer });
  const factory = new ContractFactory(mockErc20Abi, mockErc20Bytecode, deployer);
  const base = (await factory.deploy('Base', 'BASE', 18)) as unknown as Contract;
  await base.waitForDeployment();
  const baseAddress = await base.getAddress();
  const dir = await mkdtemp(join(tmpdir(), 'cove-actions-'));
  const nodes: StorageNode[] = [];
  const node = async (name: string, listen = true) => {
    const n = await createStorageNode({ directory: join(dir, name), listen });
    nodes.push(n);
    return n;
  };
  const storage = await node('publisher');
  const providerWallet = new Wallet(Wallet.createRandom().privateKey, rpc);
  const providerKeys = generateKeyPair();
  const fund = async (to: string, eth: bigint) => (await deployer.sendTransaction({ to, value: eth })).wait();
  await fund(providerWallet.address, 10n * ONE);

  return {
    anvil, rpc, cove, deployer, dir, storage, base, baseAddress,
    provider: { wallet: providerWallet, keys: providerKeys, address: providerWallet.address, x25519PublicKey: encodeKey(providerKeys.publicKey) },
    async account(params = {}) {
      const wallet = new Wallet(Wallet.createRandom().privateKey, rpc);
      if ((params.eth ?? 100n * ONE) > 0n) await fund(wallet.address, params.eth ?? 100n * ONE);
      const keys = generateKeyPair();
      return { wallet, keys, client: createCoveClientBase({ signer: wallet, contracts: cove, storage: params.storage ?? storage, x25519: keys }) };
    },
    node,
    async close() {
      for (const n of nodes) await n.stop().catch(() => {});
      rpc.destroy();
      await anvil.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
