import type { AssetFactory, ComputeReceipts, DataNFT, Datatoken, Dispenser, FixedRateExchange, MockERC20, ProviderRegistry } from './typechain/index.js';
import {
  AbiCoder,
  Contract,
  Interface,
  keccak256,
  type ContractRunner,
} from 'ethers';
import { CoveError } from '../errors.js';
import {
  assetFactoryAbi,
  computeReceiptsAbi,
  dataNftAbi,
  datatokenAbi,
  dispenserAbi,
  fixedRateExchangeAbi,
  mockErc20Abi,
  providerRegistryAbi,
} from './generated/abis.js';

export * from './generated/abis.js';
export { deployCove, type DeployCoveParameters, type DeployProgress } from './deploy.js';

/** Addresses of a Cove deployment (the keys of `contracts/deployments/<chainId>.json`). */
export type CoveAddresses = {
  providerRegistry: string;
  dataNFT: string;
  computeReceipts: string;
  datatokenImplementation: string;
  fixedRateExchange: string;
  dispenser: string;
  assetFactory: string;
};

/** A deployment: its addresses and chain. */
export type CoveContracts = CoveAddresses & {
  chainId: bigint;
  /** The block ComputeReceipts was deployed in (also `deploymentBlock()` on-chain): log scans start here. */
  deploymentBlock?: number;
};

/** `IDataNFT.AssetKind`. */
export const ASSET_KIND = { dataset: 0, algorithm: 1, model: 2 } as const;
/** `IAssetFactory.Pricing`. */
export const PRICING = { none: 0, fixedRate: 1, dispenser: 2 } as const;
/** `IComputeReceipts.JobStatus`: the `status` codes of a receipt. */
export const JOB_STATUS = {
  succeeded: 0,
  failed: 1,
  timed_out: 2,
  oom_killed: 3,
  stopped: 4,
  output_rejected: 5,
  engine_error: 6,
  rejected_by_owner: 7,
} as const;
export type JobStatusName = keyof typeof JOB_STATUS;

/**
 * Runtime codes of a receipt (`IComputeReceipts.JobRuntime`): the OCI runtime the job's container ran under. `none`
 * when no container ran (an engine error before start); `runsc` is gVisor, a user-space kernel between the job and the
 * host's.
 */
export const JOB_RUNTIME = {
  none: 0,
  runc: 1,
  runsc: 2,
} as const;
export type JobRuntimeName = keyof typeof JOB_RUNTIME;

const STATUS_BY_CODE = new Map(Object.entries(JOB_STATUS).map(([k, v]) => [v as number, k as JobStatusName]));
const RUNTIME_BY_CODE = new Map(Object.entries(JOB_RUNTIME).map(([k, v]) => [v as number, k as JobRuntimeName]));
/** The name of a receipt's status code (undefined for an unknown code). */
export function jobStatusName(code: number): JobStatusName | undefined {
  return STATUS_BY_CODE.get(code);
}
/** The name of a receipt's runtime code (undefined for an unknown code). */
export function jobRuntimeName(code: number): JobRuntimeName | undefined {
  return RUNTIME_BY_CODE.get(code);
}

/** Units spent by one order (one whole datatoken). */
export const ORDER_AMOUNT = 10n ** 18n;

// ------------------------------------------------------------------ contract getters

/** The DataNFT collection at `address`. @example const nft = getDataNft(c.dataNFT, provider); */
export function getDataNft(address: string, runner: ContractRunner): DataNFT {
  return new Contract(address, dataNftAbi, runner) as unknown as DataNFT;
}
/** An asset's datatoken. @example const dt = getDatatoken(await nft.datatokenOf(id), signer); */
export function getDatatoken(address: string, runner: ContractRunner): Datatoken {
  return new Contract(address, datatokenAbi, runner) as unknown as Datatoken;
}
/** The AssetFactory. @example await getAssetFactory(c.assetFactory, signer).publish(params); */
export function getAssetFactory(address: string, runner: ContractRunner): AssetFactory {
  return new Contract(address, assetFactoryAbi, runner) as unknown as AssetFactory;
}
/** The FixedRateExchange. @example await getFixedRateExchange(c.fixedRateExchange, signer).buy(id, amount, maxPay); */
export function getFixedRateExchange(address: string, runner: ContractRunner): FixedRateExchange {
  return new Contract(address, fixedRateExchangeAbi, runner) as unknown as FixedRateExchange;
}
/** The Dispenser. @example await getDispenser(c.dispenser, signer).dispense(datatoken, amount); */
export function getDispenser(address: string, runner: ContractRunner): Dispenser {
  return new Contract(address, dispenserAbi, runner) as unknown as Dispenser;
}
/** The ProviderRegistry. @example await getProviderRegistry(c.providerRegistry, p).isRegistered(addr); */
export function getProviderRegistry(address: string, runner: ContractRunner): ProviderRegistry {
  return new Contract(address, providerRegistryAbi, runner) as unknown as ProviderRegistry;
}
/** ComputeReceipts. @example await getComputeReceipts(c.computeReceipts, p).batchOf(root); */
export function getComputeReceipts(address: string, runner: ContractRunner): ComputeReceipts {
  return new Contract(address, computeReceiptsAbi, runner) as unknown as ComputeReceipts;
}
/** A devnet ERC-20 (MockERC20). @example await getMockErc20(token, signer).mint(to, amount); */
export function getMockErc20(address: string, runner: ContractRunner): MockERC20 {
  return new Contract(address, mockErc20Abi, runner) as unknown as MockERC20;
}

/** Every singleton contract of a deployment, bound to `runner`. */
export type CoveContractSet = {
  dataNFT: DataNFT;
  assetFactory: AssetFactory;
  fixedRateExchange: FixedRateExchange;
  dispenser: Dispenser;
  providerRegistry: ProviderRegistry;
  computeReceipts: ComputeReceipts;
};

/**
 * Binds a deployment's contracts to a signer or provider.
 *
 * @example
 * const { assetFactory, computeReceipts } = connectCove(deployment, signer);
 */
export function connectCove(addresses: CoveAddresses, runner: ContractRunner): CoveContractSet {
  return {
    dataNFT: getDataNft(addresses.dataNFT, runner),
    assetFactory: getAssetFactory(addresses.assetFactory, runner),
    fixedRateExchange: getFixedRateExchange(addresses.fixedRateExchange, runner),
    dispenser: getDispenser(addresses.dispenser, runner),
    providerRegistry: getProviderRegistry(addresses.providerRegistry, runner),
    computeReceipts: getComputeReceipts(addresses.computeReceipts, runner),
  };
}

// ------------------------------------------------------------------ orders

/**
 * The id `startOrder` gives the `nonce`-th order paid by `payer` on `datatoken`:
 * `keccak256(abi.encode(chainId, datatoken, payer, nonce))`; `nonce` is `orderNonce(payer)`
 * before the call (the datatoken's `nextOrderId(payer)` returns the same value).
 *
 * @example
 * const orderId = computeOrderId({ chainId: 31337n, datatoken, payer, nonce: await dt.orderNonce(payer) });
 */
export function computeOrderId(params: { chainId: bigint; datatoken: string; payer: string; nonce: bigint }): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ['uint256', 'address', 'address', 'uint256'],
      [params.chainId, params.datatoken, params.payer, params.nonce],
    ),
  );
}

export * from './receipts.js';

// ------------------------------------------------------------------ revert decoding

const ALL_ERRORS = new Interface([
  ...dataNftAbi,
  ...datatokenAbi,
  ...assetFactoryAbi,
  ...fixedRateExchangeAbi,
  ...dispenserAbi,
  ...providerRegistryAbi,
  ...computeReceiptsAbi,
].filter((f) => f.type === 'error'));

/** A decoded contract revert: `details.error` is the Solidity error name (stable), `details.args` its arguments. */
export type ContractRevertError = CoveError<'CONTRACT_REVERTED'>;

/**
 * Decodes a Cove custom error from revert data or from an ethers error carrying it; `undefined` when the data is
 * not a known Cove error.
 *
 * @example
 * try { await dt.startOrder(consumer, 9n, provider); }
 * catch (e) { const err = decodeContractError(e); if (err?.details?.error === 'DatatokenUnknownService') … }
 */
export function decodeContractError(error: unknown): ContractRevertError | undefined {
  const data = typeof error === 'string' ? error : findRevertData(error);
  if (data === undefined) return undefined;
  const parsed = ALL_ERRORS.parseError(data);
  if (parsed === null) return undefined;
  return new CoveError('CONTRACT_REVERTED', `contract reverted with ${parsed.name}`, {
    details: { error: parsed.name, args: parsed.args.toArray(), selector: parsed.selector },
    cause: error,
  });
}

function findRevertData(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === 'string' && data.startsWith('0x') && data.length >= 10) return data;
    e = (e as { error?: unknown; info?: { error?: unknown } }).error ?? (e as { info?: { error?: unknown } }).info?.error;
  }
  return undefined;
}
