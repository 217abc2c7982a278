import { JsonRpcProvider, type Provider, type Signer } from 'ethers';
import { connectCove, type CoveContracts, type CoveContractSet } from '../contracts/index.js';
import type { KeyPair } from '../crypto/keys.js';
import type { StorageNode } from '../storage/helia.js';
import { CoveError } from '../errors.js';

/**
 * What every action receives: the chain (read provider, optional signer), Cove's
 * contracts, an IPFS storage node and, for buyers, their X25519 key pair. Actions take
 * `(client, params)` and use only what they need.
 */
export type CoveClientBase = {
  /** Read access to the chain. */
  provider: Provider;
  /** The account that signs transactions and requests; read-only clients have none. */
  signer: Signer | undefined;
  chainId: bigint;
  addresses: CoveContracts;
  /** Contracts bound to the signer when there is one, else to the provider. */
  contracts: CoveContractSet;
  storage: StorageNode;
  /** The user's X25519 key pair: results and downloads are sealed to its public key. */
  x25519: KeyPair | undefined;
};

export type CreateCoveClientParameters = {
  /** A JSON-RPC URL, or an ethers provider. */
  rpcUrl?: string;
  provider?: Provider;
  signer?: Signer;
  contracts: CoveContracts;
  storage: StorageNode;
  x25519?: KeyPair;
};

/**
 * Builds the base every action takes.
 * @example
 * const base = createCoveClientBase({ rpcUrl, signer, contracts, storage });
 */
export function createCoveClientBase(params: CreateCoveClientParameters): CoveClientBase {
  const provider =
    params.provider ??
    params.signer?.provider ??
    (params.rpcUrl === undefined
      ? undefined
      : // No request cache: a cached nonce or block would be stale right after a transaction.
        new JsonRpcProvider(params.rpcUrl, Number(params.contracts.chainId), { staticNetwork: true, cacheTimeout: -1 }));
  if (provider === undefined) throw new CoveError('INVALID_CLIENT', 'give rpcUrl, provider, or a signer connected to a provider');
  const signer = params.signer === undefined || params.signer.provider !== null ? params.signer : params.signer.connect(provider);
  return {
    provider,
    signer,
    chainId: params.contracts.chainId,
    addresses: params.contracts,
    contracts: connectCove(params.contracts, signer ?? provider),
    storage: params.storage,
    x25519: params.x25519,
  };
}

/** The signer, or a clear error for actions that must sign. */
export function requireSigner(client: CoveClientBase): Signer {
  if (client.signer === undefined) throw new CoveError('SIGNER_REQUIRED', 'this action signs: create the client with a signer');
  return client.signer;
}

/** The user's X25519 key pair, or a clear error for actions that receive sealed data. */
export function requireX25519(client: CoveClientBase): KeyPair {
  if (client.x25519 === undefined) throw new CoveError('X25519_KEY_REQUIRED', 'this action receives sealed data: create the client with an x25519 key pair');
  return client.x25519;
}
