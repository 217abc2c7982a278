import type { CoveClientBase } from '../../client/base.js';
import type { AssetDocument } from '../../asset/schema.js';
import { isCoveError } from '../../errors.js';
import { getAddress, isAddress, zeroPadValue } from 'ethers';
import type { AssetPublishedEvent } from '../../contracts/typechain/AssetFactory.js';
import { ActionError, asAction } from '../errors.js';
import { queryEvents, toPublishedEvent, type AssetKindName, type PublishedEvent } from './chain.js';
import { getAsset } from './getAsset.js';

const LIST_CONCURRENCY = 8;

export type ListAssetsParameters = {
  publisher?: string;
  kind?: AssetKindName;
  /** First block searched (default the deployment's first block, else 0). */
  fromBlock?: number;
  /** Last block searched (default the latest); the next page starts at `toBlock + 1`. */
  toBlock?: number;
  /** Fetch and verify each asset's current document (default true). */
  documents?: boolean;
  /** Idle timeout of each document fetch. */
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** One listed asset: a document verified against the chain, or the coded reason there is none. */
export type ListedAsset = PublishedEvent & {
  owner?: string;
  documentCid?: string;
  metadataHash?: string;
  document?: AssetDocument;
  /** Why the document is missing: never a document that failed its hash or schema check. */
  error?: { code: string; message: string };
};

export type ListAssetsReturnType = { assets: ListedAsset[]; fromBlock: number; toBlock: number };

/**
 * Lists published assets from `AssetPublished` events in a block range, filtered by
 * publisher (indexed) and kind, each with its current document checked against the hash
 * on-chain. A document that fails the check is reported per asset in `error.code`
 * (`DOCUMENT_HASH_MISMATCH`, `INVALID_DOCUMENT`, `CID_NOT_FOUND`), never returned.
 *
 * @example
 * let page = await listAssets(client, { kind: 'dataset', fromBlock: 0, toBlock: 10_000 });
 * page = await listAssets(client, { kind: 'dataset', fromBlock: page.toBlock + 1 });
 */
export async function listAssets(client: CoveClientBase, params: ListAssetsParameters = {}): Promise<ListAssetsReturnType> {
  const factory = client.contracts.assetFactory;
  const fromBlock = params.fromBlock ?? client.addresses.deploymentBlock ?? 0;
  const toBlock = params.toBlock ?? (await asAction('listAssets', () => client.provider.getBlockNumber()));
  if (fromBlock > toBlock) return { assets: [], fromBlock, toBlock };
  if (params.publisher !== undefined && !isAddress(params.publisher)) throw new ActionError('INVALID_PARAMS', `publisher ${params.publisher} is not an address`);
  const publisher = params.publisher === undefined ? null : zeroPadValue(getAddress(params.publisher), 32);
  const logs = await asAction('listAssets', () => queryEvents(client, factory, 'AssetPublished', [null, publisher], { fromBlock, toBlock }));
  const events = logs.map((e) => toPublishedEvent(e.args as unknown as AssetPublishedEvent.OutputObject, e.log));
  const wanted = events.filter((e) => params.kind === undefined || e.kind === params.kind);
  const load = async (event: PublishedEvent): Promise<ListedAsset> => {
    if (params.documents === false) return event;
    try {
      const a = await getAsset(client, { assetId: event.assetId, ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}), ...(params.signal ? { signal: params.signal } : {}) });
      return { ...event, owner: a.owner, documentCid: a.documentCid, metadataHash: a.metadataHash, document: a.document };
    } catch (err) {
      if (!isCoveError(err) || err.code === 'ABORTED') throw err;
      return { ...event, error: { code: err.code, message: err.message } };
    }
  };
  // A few assets at a time: each costs several chain reads and a document fetch.
  const assets: ListedAsset[] = [];
  for (let i = 0; i < wanted.length; i += LIST_CONCURRENCY) assets.push(...(await Promise.all(wanted.slice(i, i + LIST_CONCURRENCY).map(load))));
  return { assets, fromBlock, toBlock };
}
