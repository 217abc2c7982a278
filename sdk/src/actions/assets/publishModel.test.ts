import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keccak256, toUtf8Bytes } from 'ethers';
import { decodeContractError, getDatatoken, JOB_RUNTIME, JOB_STATUS, jobIdFor, receiptDomain, signReceiptBatch, type JobReceipt } from '../../contracts/index.js';
import { hashResultFiles, listingHash } from '../audit/hashes.js';
import { decryptStream } from '../../crypto/envelope.js';
import { openSealedKey } from '../../crypto/seal.js';
import { isCoveError } from '../../errors.js';
import { extractBundle } from '../../results/bundle.js';
import { orderAsset } from '../market/orderAsset.js';
import { createTestWorld, ONE, TEST_COMPUTE_POLICY } from './test-world.js';
import { getAsset } from './getAsset.js';
import { publishAsset } from './publishAsset.js';
import { publishModel } from './publishModel.js';

test('publishModel tokenises result files with their lineage readable on-chain', async (t) => {
  const w = await createTestWorld();
  t.after(() => w.close());
  const owner = await w.account();
  const builder = await w.account();
  const provider = { url: 'http://127.0.0.1:9', address: w.provider.address, x25519PublicKey: w.provider.x25519PublicKey };
  await (await owner.client.contracts.providerRegistry.connect(w.provider.wallet).getFunction('register')(provider.url, provider.x25519PublicKey, '')).wait();

  // A dataset, an order for it and the provider's receipt of a job that spent the order.
  const dataset = await publishAsset(owner.client, { provider, pin: false, computePolicy: TEST_COMPUTE_POLICY, source: [Buffer.from('x,y\n')] as never, name: 'Data', contentType: 'text/csv' });
  await (await getDatatoken(dataset.datatoken, owner.wallet).getFunction('transfer')(builder.wallet.address, ONE)).wait();
  const order = await orderAsset(builder.client, { assetId: dataset.assetId });
  const now = BigInt((await w.rpc.getBlock('latest'))!.timestamp);
  // The job's outputs: the model's two files (so the document can trace the model to the receipt's outputsHash).
  const dir = join(w.dir, 'model');
  await mkdir(join(dir, 'weights'), { recursive: true });
  await writeFile(join(dir, 'model.json'), '{"coef":[1,2]}');
  await writeFile(join(dir, 'weights', 'layer0.bin'), Buffer.alloc(70_000, 7));
  const outputs = await hashResultFiles(dir, {});
  const receipt: JobReceipt = {
    jobId: jobIdFor(w.provider.address), consumer: builder.wallet.address, orderIds: [order.orderId], assetIds: [dataset.assetId], datasetContentHashes: [dataset.contentHash],
    algorithmImageDigest: '0x' + 'ab'.repeat(32), algorithmCodeHash: '0x' + 'cd'.repeat(32), algorithmHash: '0x' + 'c0'.repeat(32), outputsHash: listingHash(outputs),
    resultCid: dataset.documentCid, status: JOB_STATUS.succeeded, runtime: JOB_RUNTIME.runc, startedAt: now, finishedAt: now,
  };
  const domain = receiptDomain(w.cove.chainId, w.cove.computeReceipts);
  const { signature } = await signReceiptBatch(w.provider.wallet, domain, [receipt]);
  await (await builder.client.contracts.computeReceipts.getFunction('recordJob')(receipt, signature)).wait();

  const model = await publishModel(builder.client, {
    dir, parentJobIds: [receipt.jobId], name: 'Model', provider, pin: false,
    services: [{ type: 'access', timeoutSeconds: 600 }],
  });

  const asset = await getAsset(builder.client, { assetId: model.assetId });
  assert.equal(asset.kind, 'model');
  assert.deepEqual(asset.parentJobIds, [receipt.jobId]);
  const listing = outputs.map((o) => ({ path: o.path, sha256: o.sha256 })).sort((a, b) => a.path.localeCompare(b.path));
  assert.deepEqual(asset.document.lineage, {
    parentJobIds: [receipt.jobId],
    parents: [{ jobId: receipt.jobId, outputsHash: receipt.outputsHash, outputs: listing, modelFiles: ['model.json', 'weights/layer0.bin'] }],
  });
  // A model's document is frozen by its lineage.
  await assert.rejects(builder.client.contracts.dataNFT.getFunction('setMetadata')(model.assetId, model.documentCid, model.metadataHash), (e) => decodeContractError(e)?.details?.error === 'DataNFTLineageFrozen');
  assert.equal(asset.document.content.type, 'application/x-tar');
  // The content is the bundle, encrypted to the provider.
  const { key } = openSealedKey({ sealed: asset.document.content.sealedKey, secretKey: w.provider.keys.secretKey });
  const out = join(w.dir, 'unpacked');
  await mkdir(out);
  const files = await extractBundle({ source: decryptStream(w.storage.cat(model.encryptedContentCid), { key, expectedContentHash: model.contentHash }), dir: out });
  assert.deepEqual(files.map((f) => [f.path, f.size]), [['model.json', 14], ['weights/layer0.bin', 70_000]]);

  await assert.rejects(
    publishModel(builder.client, { files: [join(dir, 'model.json')], parentJobIds: [keccak256(toUtf8Bytes('no such job'))], name: 'Orphan', provider, pin: false, services: [{ type: 'access', timeoutSeconds: 600 }] }),
    (e) => isCoveError(e, 'UNKNOWN_PARENT_JOB'),
  );
  const again = { files: [join(dir, 'model.json')], name: 'Again', provider, pin: false, services: [{ type: 'access' as const, timeoutSeconds: 600 }] };
  // One of the job's files is a model only with the job's whole outputs to trace it by.
  await assert.rejects(publishModel(builder.client, { ...again, parentJobIds: [receipt.jobId] }), (e) => isCoveError(e, 'MODEL_NOT_JOB_OUTPUT'));
  const part = await publishModel(builder.client, { ...again, parentJobIds: [receipt.jobId], jobOutputs: { [receipt.jobId]: dir } });
  assert.deepEqual((await getAsset(builder.client, { assetId: part.assetId })).document.lineage?.parents?.[0]?.modelFiles, ['model.json']);
  // Issue 12: lineage means derivation. The same parent twice, a failed job, or a job someone else consumed are
  // refused with a typed error before anything is sent.
  await assert.rejects(publishModel(builder.client, { ...again, parentJobIds: [receipt.jobId, receipt.jobId] }), (e) => isCoveError(e, 'DUPLICATE_PARENT_JOB'));
  await assert.rejects(publishModel(owner.client, { ...again, parentJobIds: [receipt.jobId] }), (e) => isCoveError(e, 'NOT_PARENT_JOB_CONSUMER'));
  await (await getDatatoken(dataset.datatoken, owner.wallet).getFunction('transfer')(builder.wallet.address, ONE)).wait();
  const order2 = await orderAsset(builder.client, { assetId: dataset.assetId });
  const failed: JobReceipt = { ...receipt, jobId: jobIdFor(w.provider.address), orderIds: [order2.orderId], status: JOB_STATUS.failed };
  const { signature: failedSig } = await signReceiptBatch(w.provider.wallet, domain, [failed]);
  await (await builder.client.contracts.computeReceipts.getFunction('recordJob')(failed, failedSig)).wait();
  await assert.rejects(publishModel(builder.client, { ...again, parentJobIds: [failed.jobId] }), (e) => isCoveError(e, 'PARENT_JOB_NOT_SUCCEEDED'));
});
