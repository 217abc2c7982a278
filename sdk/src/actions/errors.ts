import { decodeContractError } from '../contracts/index.js';
import { CoveError } from '../errors.js';

/** Every code the owner and buyer actions throw themselves (the data plane's codes pass through unchanged). */
export type ActionErrorCode =
  | 'INVALID_PARAMS'
  | 'ASSET_NOT_FOUND'
  | 'NOT_AUTHORIZED'
  | 'NOT_FOR_SALE'
  | 'PRICING_INACTIVE'
  | 'INSUFFICIENT_BALANCE'
  | 'INSUFFICIENT_ALLOWANCE'
  | 'INSUFFICIENT_SUPPLY'
  | 'SLIPPAGE_EXCEEDED'
  | 'DISPENSER_CAP_EXCEEDED'
  | 'UNKNOWN_SERVICE'
  | 'ALGORITHM_NOT_ALLOWED'
  | 'RUNTIME_UNAVAILABLE'
  | 'UNKNOWN_PARENT_JOB'
  | 'PARENT_JOB_NOT_SUCCEEDED'
  | 'DUPLICATE_PARENT_JOB'
  | 'NOT_PARENT_JOB_CONSUMER'
  | 'MODEL_NOT_JOB_OUTPUT'
  | 'LINEAGE_FROZEN'
  | 'ORDER_ID_MISMATCH'
  | 'PROVIDER_CHAIN_MISMATCH'
  | 'PROVIDER_NOT_REGISTERED'
  | 'PIN_FAILED'
  | 'TRANSACTION_FAILED'
  | 'CONTRACT_REVERTED'
  | 'JOB_FAILED'
  | 'RECEIPT_NOT_FOUND'
  | 'RESULT_MISMATCH'
  | 'RESULT_BUNDLE_INVALID'
  | 'OUTPUT_EXISTS'
  | 'TIMEOUT';

/** Error thrown by the SDK's actions; match on `code`. */
export class ActionError extends CoveError<ActionErrorCode> {
  override name = 'ActionError';
}

/** Solidity error name → the action code it means to a caller. Anything else stays `CONTRACT_REVERTED`. */
const REVERT_CODES: Record<string, ActionErrorCode> = {
  ERC20InsufficientBalance: 'INSUFFICIENT_BALANCE',
  ERC20InsufficientAllowance: 'INSUFFICIENT_ALLOWANCE',
  FixedRateExchangeInsufficientValue: 'INSUFFICIENT_BALANCE',
  FixedRateExchangeSlippage: 'SLIPPAGE_EXCEEDED',
  FixedRateExchangeInsufficientDeposit: 'INSUFFICIENT_SUPPLY',
  DispenserInsufficientBalance: 'INSUFFICIENT_SUPPLY',
  FixedRateExchangeOfferPaused: 'PRICING_INACTIVE',
  DispenserInactive: 'PRICING_INACTIVE',
  FixedRateExchangeUnknownOffer: 'NOT_FOR_SALE',
  DispenserUnknown: 'NOT_FOR_SALE',
  DispenserPerAddressCapExceeded: 'DISPENSER_CAP_EXCEEDED',
  DispenserTotalCapExceeded: 'DISPENSER_CAP_EXCEEDED',
  DataNFTUnknownAsset: 'ASSET_NOT_FOUND',
  ProviderRegistryNotRegistered: 'PROVIDER_NOT_REGISTERED',
  DataNFTUnauthorized: 'NOT_AUTHORIZED',
  DatatokenUnknownService: 'UNKNOWN_SERVICE',
  DataNFTUnknownParentJob: 'UNKNOWN_PARENT_JOB',
  DataNFTParentJobNotSucceeded: 'PARENT_JOB_NOT_SUCCEEDED',
  DataNFTDuplicateParentJob: 'DUPLICATE_PARENT_JOB',
  DataNFTNotParentJobConsumer: 'NOT_PARENT_JOB_CONSUMER',
  DataNFTLineageFrozen: 'LINEAGE_FROZEN',
};

/**
 * Turns a failed call or transaction into an `ActionError`: Cove custom errors by selector
 * (`details.error` keeps the Solidity name), a native balance too low for value + gas as
 * `INSUFFICIENT_BALANCE`, anything else as `TRANSACTION_FAILED`. CoveErrors pass through.
 *
 * @example
 * try { await tx(); } catch (e) { throw toActionError(e, 'buy'); }
 */
export function toActionError(error: unknown, action: string): CoveError {
  if (error instanceof CoveError) return error;
  const decoded = decodeContractError(error);
  if (decoded !== undefined) {
    const name = decoded.details?.error as string;
    const code = REVERT_CODES[name] ?? 'CONTRACT_REVERTED';
    return new ActionError(code, `${action}: ${name}`, { details: decoded.details, cause: error });
  }
  const ethersCode = (error as { code?: unknown } | null)?.code;
  if (ethersCode === 'INSUFFICIENT_FUNDS') {
    return new ActionError('INSUFFICIENT_BALANCE', `${action}: not enough native coin for value and gas`, { cause: error });
  }
  return new ActionError('TRANSACTION_FAILED', `${action}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** Runs `fn`, rethrowing its failure as an `ActionError` (see `toActionError`). */
export async function asAction<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toActionError(error, action);
  }
}
