import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZeroAddress } from 'ethers';
import { computeOrderId, getDatatoken, getMockErc20 } from '../../contracts/index.js';
import { isCoveError } from '../../errors.js';
import { createTestWorld, ONE, TEST_COMPUTE_POLICY, type TestWorld } from '../assets/test-world.js';
import { publishAsset } from '../assets/publishAsset.js';
import type { PricingInput } from '../assets/publishCore.js';
import type { CoveClientBase } from '../../client/base.js';
import { buyDatatokens } from './buyDatatokens.js';
import { getPricing } from './getPricing.js';
import { orderAsset } from './orderAsset.js';

async function publishPriced(w: TestWorld, client: CoveClientBase, pricing: PricingInput, initialSupply = 10n * ONE) {
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  return publishAsset(client, {
    provider, pin: false, computePolicy: TEST_COMPUTE_POLICY, source: [Buffer.from('a,b\n1,2\n')] as never, name: 'Priced', contentType: 'text/csv',
    services: [{ type: 'compute', timeoutSeconds: 3600 }, { type: 'access', timeoutSeconds: 60 }], pricing, initialSupply,
  });
}

const balanceOf = (token: string, w: TestWorld, who: string) => getDatatoken(token, w.rpc).getFunction('balanceOf')(who) as Promise<bigint>;

test('buys from an ERC-20 fixed-rate offer with approval and a slippage guard, then orders', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const buyer = await w.account();
  const collector = await w.account({ eth: 0n });
  const asset = await publishPriced(w, owner.client, { type: 'fixed', baseToken: w.baseAddress, rate: 2n * ONE, feeCollector: collector.wallet.address, feeBps: 100 });

  const quote = await getPricing(buyer.client, { assetId: asset.assetId, amount: 3n * ONE });
  assert.equal(quote.type, 'fixedRate');
  assert.ok(quote.type === 'fixedRate' && quote.price === 6n * ONE && quote.fee === 6n * ONE / 100n && !quote.native);

  // No base tokens yet: refused before any transaction.
  await assert.rejects(buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 3n * ONE }), (e) => isCoveError(e, 'INSUFFICIENT_BALANCE'));
  await (await getMockErc20(w.baseAddress, w.deployer).getFunction('mint')(buyer.wallet.address, 100n * ONE)).wait();
  // maxPay below price + fee.
  await assert.rejects(buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 3n * ONE, maxPay: 6n * ONE }), (e) => isCoveError(e, 'SLIPPAGE_EXCEEDED'));
  // More than the deposit.
  await assert.rejects(buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 11n * ONE }), (e) => isCoveError(e, 'INSUFFICIENT_SUPPLY'));

  const bought = await buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 3n * ONE });
  assert.equal(bought.cost, 6n * ONE + 6n * ONE / 100n);
  assert.ok(bought.approveTxHash);
  assert.equal(await balanceOf(asset.datatoken, w, buyer.wallet.address), 3n * ONE);
  assert.equal(await getMockErc20(w.baseAddress, w.rpc).getFunction('balanceOf')(buyer.wallet.address), 100n * ONE - bought.cost);

  // Order: the id derived beforehand is the one emitted and recorded.
  const nonce = (await getDatatoken(asset.datatoken, w.rpc).getFunction('orderNonce')(buyer.wallet.address)) as bigint;
  const order = await orderAsset(buyer.client, { assetId: asset.assetId, serviceId: 1 });
  assert.equal(order.orderId, computeOrderId({ chainId: w.cove.chainId, datatoken: asset.datatoken, payer: buyer.wallet.address, nonce }));
  assert.equal(order.provider, w.provider.address);
  assert.equal(order.consumer, buyer.wallet.address);
  const info = await getDatatoken(asset.datatoken, w.rpc).getFunction('orderInfo')(order.orderId);
  assert.equal(info.provider, w.provider.address);
  assert.equal(info.validUntil, order.validUntil);
  const block = await w.rpc.getBlock((await w.rpc.getTransactionReceipt(order.txHash))!.blockNumber);
  assert.equal(order.validUntil, BigInt(block!.timestamp) + 60n);
  assert.equal(await balanceOf(asset.datatoken, w, buyer.wallet.address), 2n * ONE);

  // For another consumer, through an explicit provider.
  const second = await orderAsset(buyer.client, { assetId: asset.assetId, consumer: collector.wallet.address, provider: owner.wallet.address });
  assert.equal(second.consumer, collector.wallet.address);
  assert.notEqual(second.orderId, order.orderId);
  await assert.rejects(orderAsset(buyer.client, { assetId: asset.assetId, serviceId: 2 }), (e) => isCoveError(e, 'UNKNOWN_SERVICE'));
  await assert.rejects(orderAsset(collector.client, { assetId: asset.assetId }), (e) => isCoveError(e, 'INSUFFICIENT_BALANCE'));
  await assert.rejects(orderAsset(buyer.client, { assetId: 42n }), (e) => isCoveError(e, 'ASSET_NOT_FOUND'));

  // Paused offer.
  await (await owner.client.contracts.fixedRateExchange.getFunction('setActive')(asset.pricingId, false)).wait();
  await assert.rejects(buyDatatokens(buyer.client, { assetId: asset.assetId, amount: ONE }), (e) => isCoveError(e, 'PRICING_INACTIVE'));
});

test('buys from a native-coin offer; the unused part of maxPay comes back', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const buyer = await w.account({ eth: 5n * ONE });
  const poor = await w.account({ eth: ONE / 100n });
  const asset = await publishPriced(w, owner.client, { type: 'fixed', baseToken: ZeroAddress, rate: ONE / 10n });
  const before = await w.rpc.getBalance(buyer.wallet.address);
  const bought = await buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 2n * ONE, maxPay: ONE });
  assert.equal(bought.cost, ONE / 5n);
  const receipt = (await w.rpc.getTransactionReceipt(bought.txHash))!;
  assert.equal(before - (await w.rpc.getBalance(buyer.wallet.address)), ONE / 5n + receipt.gasUsed * receipt.gasPrice);
  assert.equal(await balanceOf(asset.datatoken, w, buyer.wallet.address), 2n * ONE);
  await assert.rejects(buyDatatokens(poor.client, { assetId: asset.assetId, amount: ONE }), (e) => isCoveError(e, 'INSUFFICIENT_BALANCE'));
  const order = await orderAsset(buyer.client, { assetId: asset.assetId });
  assert.match(order.orderId, /^0x[0-9a-f]{64}$/);
});

test('takes free datatokens from a dispenser within its caps; unpriced assets are not for sale', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const buyer = await w.account();
  const asset = await publishPriced(w, owner.client, { type: 'free', maxPerAddress: 2n * ONE, maxTotal: 5n * ONE });
  const got = await buyDatatokens(buyer.client, { assetId: asset.assetId, amount: 2n * ONE });
  assert.equal(got.via, 'dispenser');
  assert.equal(got.cost, 0n);
  assert.equal(await balanceOf(asset.datatoken, w, buyer.wallet.address), 2n * ONE);
  await assert.rejects(buyDatatokens(buyer.client, { assetId: asset.assetId, amount: ONE }), (e) => isCoveError(e, 'DISPENSER_CAP_EXCEEDED'));

  const unpriced = await publishPriced(w, owner.client, { type: 'none' });
  await assert.rejects(buyDatatokens(buyer.client, { assetId: unpriced.assetId, amount: ONE }), (e) => isCoveError(e, 'NOT_FOR_SALE'));
  assert.equal(await balanceOf(unpriced.datatoken, w, owner.wallet.address), 10n * ONE);
});
