import { join } from 'node:path';
import type { Wallet, Provider } from 'ethers';
import { createCoveClient, createStorageNode, identityFiles, loadIdentity, type CoveClient, type CoveContracts, type StorageNode } from '@cove/sdk';

export type Participant = { name: string; home: string; wallet: Wallet; storage: StorageNode; cove: CoveClient; stop(): Promise<void> };

/**
 * A participant of the story with a Cove home of its own (`<dir>/<name>`: keys and IPFS
 * node, the layout the `cove` CLI uses), and a client over them. `signer: false` gives a
 * read-only client (the auditor trusts and signs nothing).
 */
export async function createParticipant(params: {
  name: string;
  dir: string;
  provider: Provider;
  contracts: CoveContracts;
  signer: boolean;
  /** IPFS nodes to connect to (the provider's), so assets and results can be fetched. */
  peers: string[];
}): Promise<Participant> {
  const home = join(params.dir, params.name);
  const id = await loadIdentity({ ...identityFiles(home), create: true });
  const wallet = id.wallet.connect(params.provider);
  const storage = await createStorageNode({ directory: join(home, 'ipfs'), listen: true });
  for (const peer of params.peers) await storage.dial(peer);
  const cove = createCoveClient({ provider: params.provider, ...(params.signer ? { signer: wallet } : {}), contracts: params.contracts, storage, x25519: id.x25519 });
  return { name: params.name, home, wallet, storage, cove, stop: () => storage.stop() };
}
