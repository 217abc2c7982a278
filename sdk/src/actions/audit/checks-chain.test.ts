import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Interface, Wallet, keccak256, toUtf8Bytes, type Log, type Signer, type TransactionResponse } from 'ethers';
import type { CoveClientBase } from '../../client/base.js';
import { computeReceiptsAbi, jobIdFor, receiptDomain, receiptLeaf, signReceiptBatch, type JobReceipt } from '../../contracts/index.js';
import { checkProviderRegistered, checkProviderSignature } from './checks-chain.js';
import type { JobContext } from './context.js';
import type { AuditIndexer, RegistryEvent } from './indexer.js';

// Unit tests over a fake indexer: the contract refuses the bad cases on-chain, so only fakes reach them.
const RECEIPTS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const iface = new Interface(computeReceiptsAbi);
const provider = Wallet.createRandom();
const stranger = Wallet.createRandom();
const h = (s: string) => keccak256(toUtf8Bytes(s));
const receipt: JobReceipt = {
  jobId: jobIdFor(provider.address),
  consumer: stranger.address,
  orderIds: [h('order')],
  assetIds: [1n],
  datasetContentHashes: [h('rows')],
  algorithmImageDigest: h('image'),
  algorithmCodeHash: h('code'),
  algorithmHash: h('algorithm spec'),
  outputsHash: h('outputs'),
  resultCid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
  status: 0,
  runtime: 1,
  startedAt: 100n,
  finishedAt: 110n,
};
const recorded = { blockNumber: 10, transactionHash: h('tx'), logIndex: 3 };

function context(params: { tx?: Partial<TransactionResponse>; registry?: { events: RegistryEvent[]; registeredNow: boolean }; events?: JobReceipt[]; batchProvider?: string }): JobContext {
  const indexer = {
    fromBlock: 0,
    toBlock: 20,
    transaction: async () => ({ to: RECEIPTS, data: '0x', ...params.tx }) as TransactionResponse,
    registry: async () => params.registry ?? { events: [], registeredNow: false },
    shared: <T>(_key: string, load: () => Promise<T>) => load(),
  } as unknown as AuditIndexer;
  const client = { chainId: 31337n, addresses: { computeReceipts: RECEIPTS } } as unknown as CoveClientBase;
  return {
    client,
    indexer,
    jobId: receipt.jobId,
    signal: undefined,
    stored: {
      receipt,
      provider: params.batchProvider ?? provider.address,
      root: receiptLeaf(receipt),
      index: 0,
      batch: { provider: params.batchProvider ?? provider.address, blockNumber: recorded.blockNumber, count: 1 },
      receipts: params.events ?? [receipt],
      log: { transactionHash: recorded.transactionHash, blockNumber: recorded.blockNumber } as Log,
      records: 1,
    },
    recordLog: { transactionHash: recorded.transactionHash } as Log,
    recorded,
    jobDocuments: new Map(),
  };
}
const domain = receiptDomain(31337n, RECEIPTS);
const calldata = (r: JobReceipt, sig: string) => iface.encodeFunctionData('recordJob', [r, sig]);
const sign = async (w: Signer, d: typeof domain, r: JobReceipt) => (await signReceiptBatch(w, d, [r])).signature;
const reg = (blockNumber: number, registered: boolean): RegistryEvent => ({ blockNumber, logIndex: 0, transactionHash: h(`reg${blockNumber}`), registered });

describe('providerSignature', () => {
  it('passes when the calldata signature recovers to the recorded provider', async () => {
    const c = await checkProviderSignature(context({ tx: { data: calldata(receipt, await sign(provider, domain, receipt)) } }));
    assert.equal(c.ok, true, c.reason);
    assert.equal(c.details?.signer, provider.address);
  });

  it('fails SIGNER_MISMATCH when another key signed', async () => {
    const c = await checkProviderSignature(context({ tx: { data: calldata(receipt, await sign(stranger, domain, receipt)) } }));
    assert.equal(c.code, 'SIGNER_MISMATCH');
    assert.equal(c.details?.signer, stranger.address);
  });

  it('fails when the signature covers another domain', async () => {
    const other = receiptDomain(1n, RECEIPTS);
    const c = await checkProviderSignature(context({ tx: { data: calldata(receipt, await sign(provider, other, receipt)) } }));
    assert.equal(c.code, 'SIGNER_MISMATCH');
  });

  it('fails CALLDATA_RECEIPT_MISMATCH when the calldata carries another receipt', async () => {
    const altered = { ...receipt, outputsHash: h('other outputs') };
    const c = await checkProviderSignature(context({ tx: { data: calldata(altered, await sign(provider, domain, altered)) } }));
    assert.equal(c.code, 'CALLDATA_RECEIPT_MISMATCH');
  });

  it('fails SIGNATURE_NOT_DECODABLE for a call relayed through another contract', async () => {
    const data = calldata(receipt, await sign(provider, domain, receipt));
    const c = await checkProviderSignature(context({ tx: { to: stranger.address, data } }));
    assert.equal(c.code, 'SIGNATURE_NOT_DECODABLE');
  });

  it('fails MERKLE_ROOT_MISMATCH when the receipts rebuilt from events do not hash to the recorded root', async () => {
    const c = await checkProviderSignature(context({ events: [{ ...receipt, status: 1 }], tx: { data: calldata(receipt, await sign(provider, domain, receipt)) } }));
    assert.equal(c.code, 'MERKLE_ROOT_MISMATCH');
  });

  it("fails SIGNER_MISMATCH when the job id names another provider than the batch's signer", async () => {
    const theirs = { ...receipt, jobId: jobIdFor(stranger.address) };
    const ctx = { ...context({ events: [theirs], tx: { data: calldata(theirs, await sign(provider, domain, theirs)) } }), jobId: theirs.jobId };
    ctx.stored = { ...ctx.stored, receipt: theirs, root: receiptLeaf(theirs) };
    const c = await checkProviderSignature(ctx);
    assert.equal(c.code, 'SIGNER_MISMATCH');
    assert.equal(c.details?.jobIdProvider, stranger.address);
  });

  it('fails SIGNATURE_INVALID for bytes that do not recover', async () => {
    const c = await checkProviderSignature(context({ tx: { data: calldata(receipt, `0x${'00'.repeat(65)}`) } }));
    assert.equal(c.code, 'SIGNATURE_INVALID');
  });
});

describe('providerRegistered', () => {
  it('passes for a provider registered before the job and still registered', async () => {
    const c = await checkProviderRegistered(context({ registry: { events: [reg(5, true)], registeredNow: true } }));
    assert.equal(c.ok, true, c.reason);
  });

  it('fails PROVIDER_NEVER_REGISTERED without any registration', async () => {
    assert.equal((await checkProviderRegistered(context({}))).code, 'PROVIDER_NEVER_REGISTERED');
  });

  it('fails PROVIDER_NOT_REGISTERED_AT_JOB when it had left before the job, even if back now', async () => {
    const c = await checkProviderRegistered(context({ registry: { events: [reg(5, true), reg(8, false), reg(15, true)], registeredNow: true } }));
    assert.equal(c.code, 'PROVIDER_NOT_REGISTERED_AT_JOB');
  });

  it('fails PROVIDER_DEREGISTERED when it left after the job, naming the transaction', async () => {
    const c = await checkProviderRegistered(context({ registry: { events: [reg(5, true), reg(12, false)], registeredNow: false } }));
    assert.equal(c.code, 'PROVIDER_DEREGISTERED');
    assert.deepEqual(c.details?.deregisteredAt, { blockNumber: 12, transactionHash: h('reg12') });
  });
});
