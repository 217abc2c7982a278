import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ContractFactory, JsonRpcProvider, Wallet, keccak256, toUtf8Bytes, type Log } from 'ethers';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as createDigest } from 'multiformats/hashes/digest';
import { startAnvil, ANVIL_DEFAULT_KEYS } from '../devnet/anvil.js';
import { isCoveError } from '../errors.js';
import {
  JOB_RUNTIME, JOB_STATUS,
  PRICING,
  ASSET_KIND,
  computeOrderId,
  connectCove,
  decodeContractError,
  deployCove,
  getDatatoken,
  hashReceipt,
  jobIdFor,
  mockErc20Abi,
  receiptDomain,
  signReceiptBatch,
  receiptLeaf,
  hashReceiptBatch,
  type DeployProgress,
  type JobReceipt,
} from './index.js';
import { mockErc20Bytecode } from './generated/bytecode.js';

const ONE = 10n ** 18n;

/** A CIDv1 (raw, sha2-256) of `bytes`: its digest is the bytes' sha256. */
function rawCid(bytes: Uint8Array): { cid: string; sha256: string } {
  const sha = createHash('sha256').update(bytes).digest();
  return { cid: CID.createV1(raw.code, createDigest(0x12, sha)).toString(), sha256: `0x${sha.toString('hex')}` };
}

function eventArgs(logs: readonly Log[], contract: { interface: { parseLog(l: Log): unknown } }, name: string) {
  for (const log of logs) {
    const parsed = contract.interface.parseLog(log) as { name: string; args: Record<string, unknown> } | null;
    if (parsed?.name === name) return parsed.args;
  }
  throw new Error(`no ${name} event`);
}

test('deployCove deploys a wired set; TS and Solidity agree on order ids and EIP-712 receipts', async (t) => {
  const anvil = await startAnvil();
  t.after(() => anvil.stop());
  const rpc = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  t.after(() => rpc.destroy());
  const publisher = new Wallet(ANVIL_DEFAULT_KEYS[0], rpc);
  const buyer = new Wallet(ANVIL_DEFAULT_KEYS[1], rpc);
  // A fresh provider key, funded by the publisher (only anvil's first two default keys are used here).
  const providerWallet = new Wallet(keccak256(toUtf8Bytes('cove provider key')), rpc);
  await (await publisher.sendTransaction({ to: providerWallet.address, value: ONE })).wait();

  const progress: DeployProgress[] = [];
  const cove = await deployCove({ signer: publisher, onProgress: (p) => progress.push(p) });
  assert.equal(cove.chainId, 31337n);
  assert.equal(progress.length, 7);
  const c = connectCove(cove, publisher);
  assert.equal(await c.dataNFT.getFunction('factory')(), cove.assetFactory);
  assert.equal(await c.assetFactory.getFunction('exchange')(), cove.fixedRateExchange);

  const base = await new ContractFactory(mockErc20Abi, mockErc20Bytecode, publisher).deploy('Base', 'BASE', 18);
  await base.waitForDeployment();
  const baseAddress = await base.getAddress();

  await (await c.providerRegistry.connect(providerWallet).getFunction('register')('http://127.0.0.1:1', keccak256(toUtf8Bytes('x25519')), '')).wait();

  // Publish: NFT + datatoken + exchange offer in one transaction.
  const doc = rawCid(new TextEncoder().encode('{"name":"iris"}'));
  assert.equal(doc.cid.length, 59);
  const publishTx = await c.assetFactory.getFunction('publish')({
    kind: ASSET_KIND.dataset,
    cid: doc.cid,
    metadataHash: doc.sha256,
    name: 'Iris',
    symbol: 'IRIS',
    serviceTimeouts: [86_400],
    computeServices: 1,
    initialSupply: 100n * ONE,
    paymentCollector: '0x0000000000000000000000000000000000000000',
    parents: [],
    pricing: PRICING.fixedRate,
    fixedRate: { baseToken: baseAddress, rate: 2n * ONE, feeCollector: providerWallet.address, feeBps: 100 },
    dispenser: { maxPerAddress: 0, maxTotal: 0 },
  });
  const published = (await publishTx.wait())!;
  assert.ok(published.gasUsed <= 350_000n, `publish used ${published.gasUsed}`);
  const { assetId, datatoken, pricingId } = eventArgs(published.logs, c.assetFactory, 'AssetPublished') as {
    assetId: bigint;
    datatoken: string;
    pricingId: bigint;
  };
  assert.equal(await c.dataNFT.getFunction('tokenURI')(assetId), `ipfs://${doc.cid}`);
  assert.equal(await c.dataNFT.getFunction('metadataHash')(assetId), doc.sha256);
  assert.equal(await c.dataNFT.getFunction('creatorOf')(assetId), publisher.address);

  // Buy two tokens with the ERC-20, then order twice.
  await (await getMockErc20(baseAddress).getFunction('mint')(buyer.address, 10n * ONE)).wait();
  await (await base.connect(buyer).getFunction('approve')(cove.fixedRateExchange, 10n * ONE)).wait();
  await (await c.fixedRateExchange.connect(buyer).getFunction('buy')(pricingId, 2n * ONE, 5n * ONE)).wait();
  const dt = getDatatoken(datatoken, buyer);
  const orderIds: string[] = [];
  const orderGas: bigint[] = [];
  for (const nonce of [0n, 1n]) {
    const expected = computeOrderId({ chainId: cove.chainId, datatoken, payer: buyer.address, nonce });
    assert.equal(await dt.getFunction('nextOrderId')(buyer.address), expected);
    const r = (await (await dt.getFunction('startOrder')(buyer.address, 0, providerWallet.address)).wait())!;
    assert.equal((eventArgs(r.logs, dt, 'OrderStarted') as { orderId: string }).orderId, expected);
    orderIds.push(expected);
    orderGas.push(r.gasUsed);
  }
  // The second order is the steady state (the collector already holds tokens).
  assert.ok(orderGas[1]! <= 70_000n, `startOrder used ${orderGas[1]}`);

  // A receipt signed in TypeScript is accepted on-chain, relayed by the buyer.
  const now = BigInt((await rpc.getBlock('latest'))!.timestamp);
  const receipt: JobReceipt = {
    jobId: jobIdFor(providerWallet.address),
    consumer: buyer.address,
    orderIds: [orderIds[0]!],
    assetIds: [assetId],
    datasetContentHashes: [keccak256(toUtf8Bytes('dataset'))],
    algorithmImageDigest: keccak256(toUtf8Bytes('image')),
    algorithmCodeHash: keccak256(toUtf8Bytes('code')),
    algorithmHash: `0x${createHash('sha256').update('{"image":"sha256:…","codeHash":"0x…"}').digest('hex')}`,
    outputsHash: keccak256(toUtf8Bytes('outputs')),
    resultCid: doc.cid,
    status: JOB_STATUS.succeeded,
    runtime: JOB_RUNTIME.runc,
    startedAt: now,
    finishedAt: now + 5n,
  };
  const domain = receiptDomain(cove.chainId, cove.computeReceipts);
  assert.equal(await c.computeReceipts.getFunction('hashReceipt')(receipt), hashReceipt(receipt));
  assert.equal(await c.computeReceipts.getFunction('leafOf')(receipt), receiptLeaf(receipt));
  const { root, signature } = await signReceiptBatch(providerWallet, domain, [receipt]);
  assert.equal(await c.computeReceipts.getFunction('hashBatch')(root, 1), hashReceiptBatch(domain, root, 1));
  const recordedTx = (await (await c.computeReceipts.connect(buyer).getFunction('recordJob')(receipt, signature)).wait())!;
  const batch = await c.computeReceipts.getFunction('batchOf')(root);
  assert.equal(batch.provider, providerWallet.address);
  assert.equal(Number(batch.blockNumber), recordedTx.blockNumber);
  assert.equal((await getDatatoken(datatoken, buyer).getFunction('orderInfo')(orderIds[0]!)).spent, true);
  // The deployment's start block is on-chain and in what deployCove returns.
  assert.equal(Number(await c.computeReceipts.getFunction('deploymentBlock')()), cove.deploymentBlock);

  // A receipt signed by an unregistered key is refused, with a decodable error.
  const forged = { ...receipt, jobId: jobIdFor(buyer.address), orderIds: [orderIds[1]!] };
  const { signature: forgedSig } = await signReceiptBatch(buyer, domain, [forged]);
  await assert.rejects(c.computeReceipts.getFunction('recordJob').staticCall(forged, forgedSig), (e: unknown) => {
    const err = decodeContractError(e);
    return isCoveError(err, 'CONTRACT_REVERTED') && err.details?.error === 'ComputeReceiptsUnregisteredProvider';
  });
  // A receipt without an algorithm hash is refused.
  const unhashed = { ...receipt, jobId: jobIdFor(providerWallet.address), orderIds: [orderIds[1]!], algorithmHash: `0x${'00'.repeat(32)}` };
  const { signature: unhashedSig } = await signReceiptBatch(providerWallet, domain, [unhashed]);
  await assert.rejects(c.computeReceipts.getFunction('recordJob').staticCall(unhashed, unhashedSig), (e: unknown) => {
    const err = decodeContractError(e);
    return isCoveError(err, 'CONTRACT_REVERTED') && err.details?.error === 'ComputeReceiptsInvalidAlgorithmHash';
  });

  function getMockErc20(address: string) {
    return base.attach(address).connect(publisher) as typeof base;
  }
});
