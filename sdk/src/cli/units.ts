/**
 * Amounts as people write them: token units (`0.01`) through the token's decimals, or raw
 * integers (wei, base units) with the global `--wei`. One place parses and one formats, so
 * every command accepts and shows the same.
 */
import { formatUnits, parseUnits, ZeroAddress, type ContractRunner } from 'ethers';
import { getMockErc20 } from '../contracts/index.js';
import { usage } from './options.js';

/** How the amounts of one token are written. */
export type TokenUnit = { address: string; native: boolean; decimals: number; symbol: string };

/** The chain's native coin. */
export const NATIVE_UNIT: TokenUnit = { address: ZeroAddress, native: true, decimals: 18, symbol: 'ETH' };
/** An asset's datatokens (one whole datatoken is one order). */
export const DATATOKEN_UNIT: TokenUnit = { address: ZeroAddress, native: false, decimals: 18, symbol: 'datatoken' }; // ORDER_AMOUNT = 1e18

/**
 * The unit of `address`: the native coin for the zero address, else the ERC-20's
 * `decimals()` and `symbol()` (a token without `symbol` shows its address).
 */
export async function tokenUnit(runner: ContractRunner, address: string): Promise<TokenUnit> {
  if (BigInt(address) === 0n) return NATIVE_UNIT;
  const token = getMockErc20(address, runner);
  const decimals = Number(await (token.decimals() as Promise<bigint>));
  const symbol = await (token.symbol() as Promise<string>).catch(() => address);
  return { address, native: false, decimals, symbol };
}

/**
 * An amount given on the command line, as base units: token units with up to the unit's
 * decimals (`0.01`), or with `wei` a non-negative integer. Anything else is a usage error
 * (exit 2) naming the option.
 * @example
 * parseAmountOption('0.01', 'price', NATIVE_UNIT, false) // 10000000000000000n
 */
export function parseAmountOption(text: string, name: string, unit: TokenUnit, wei: boolean): bigint {
  if (wei) {
    if (!/^[0-9]+$/.test(text)) throw usage(`--${name} must be a non-negative integer with --wei (base units of ${unit.symbol}), got "${text}"`);
    return BigInt(text);
  }
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) throw usage(`--${name} must be an amount of ${unit.symbol} such as 0.01 (or an integer with --wei), got "${text}"`);
  try {
    return parseUnits(text, unit.decimals);
  } catch {
    throw usage(`--${name}: ${unit.symbol} has ${unit.decimals} decimals, got "${text}"`);
  }
}

/**
 * An amount for people: `0.0101 ETH`, or with `wei` the integer (`10100000000000000 wei`,
 * `5 base units of USDC`).
 */
export function formatAmount(value: bigint, unit: TokenUnit, wei: boolean): string {
  if (wei) return unit.native ? `${value} wei` : `${value} base units of ${unit.symbol}`;
  return `${formatUnits(value, unit.decimals).replace(/\.0$/, '')} ${unit.symbol}${unit.symbol === 'datatoken' && value !== 10n ** BigInt(unit.decimals) ? 's' : ''}`;
}
