import type { Log, Provider } from 'ethers';
import type { ChainRef } from './types.js';

/** A log filter without its block range. */
export type LogFilter = { address: string; topics: (string | string[] | null)[] };

/** Largest block range of one `eth_getLogs` before splitting (public RPCs cap it; anvil does not). */
export const DEFAULT_LOG_BLOCK_RANGE = 100_000;
/** Most values in one topic OR-list (one request per chunk). */
const TOPIC_CHUNK = 100;
/** Halvings of a refused range before the error is passed on. */
const MAX_SPLITS = 6;

/**
 * Every log matching `filter` in `[fromBlock, toBlock]`, in chain order. Asks in ranges of
 * `blockRange` blocks; a range the node refuses is halved and retried (at most six times).
 */
export async function getLogsRange(
  provider: Provider,
  filter: LogFilter,
  range: { fromBlock: number; toBlock: number; blockRange?: number },
): Promise<Log[]> {
  const step = Math.max(1, range.blockRange ?? DEFAULT_LOG_BLOCK_RANGE);
  const ask = async (from: number, to: number, splits: number): Promise<Log[]> => {
    try {
      return await provider.getLogs({ ...filter, fromBlock: from, toBlock: to });
    } catch (err) {
      // A node that is down fails every half too: give up after a few halvings.
      if (to <= from || splits >= MAX_SPLITS) throw err;
      const mid = from + Math.floor((to - from) / 2);
      const [a, b] = await Promise.all([ask(from, mid, splits + 1), ask(mid + 1, to, splits + 1)]);
      return [...a, ...b];
    }
  };
  const parts: Promise<Log[]>[] = [];
  for (let from = range.fromBlock; from <= range.toBlock; from += step) parts.push(ask(from, Math.min(range.toBlock, from + step - 1), 0));
  return (await Promise.all(parts)).flat().sort(compareLogs);
}

/**
 * Logs whose topic at `position` is any of `values`, asked in OR-lists of at most 100.
 */
export async function getLogsForTopics(
  provider: Provider,
  params: { address: string; topic0: string; position: 1 | 2 | 3; values: string[] },
  range: { fromBlock: number; toBlock: number; blockRange?: number },
): Promise<Log[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < params.values.length; i += TOPIC_CHUNK) chunks.push(params.values.slice(i, i + TOPIC_CHUNK));
  const results = await Promise.all(
    chunks.map((values) => {
      const topics: (string | string[] | null)[] = [params.topic0, null, null, null].slice(0, params.position + 1);
      topics[params.position] = values;
      return getLogsRange(provider, { address: params.address, topics }, range);
    }),
  );
  return results.flat().sort(compareLogs);
}

/** Orders logs (or refs) by block, then by index in the block. */
export function compareLogs(a: { blockNumber: number; index: number }, b: { blockNumber: number; index: number }): number {
  return a.blockNumber - b.blockNumber || a.index - b.index;
}

/** True when `a` comes before `b` on the chain. */
export function isBefore(a: ChainRef, b: ChainRef): boolean {
  return a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);
}

/** The chain position of a log. */
export function refOf(log: Log): ChainRef {
  return { blockNumber: log.blockNumber, transactionHash: log.transactionHash, logIndex: log.index };
}

/** `fn` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** A promise cache: `get(key)` runs `load` once per key and shares the promise. */
export function memo<V>(load: (key: string) => Promise<V>): { get(key: string): Promise<V>; set(key: string, value: V): void } {
  const cache = new Map<string, Promise<V>>();
  return {
    get(key) {
      let p = cache.get(key);
      if (p === undefined) {
        p = load(key);
        cache.set(key, p);
      }
      return p;
    },
    set(key, value) {
      cache.set(key, Promise.resolve(value));
    },
  };
}
