import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { getAddress } from 'ethers';
import { listingHash } from './hashes.js';
import { provenanceStatement } from './provenance.js';
import { createAuditWorld, TEST_SPEC, type AuditWorld } from './testing/world.js';
import { verifyJob } from './verifyJob.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const RESULTS = new Map([
  ['model.pkl', bytes('trained weights')],
  ['metrics.json', bytes('{"accuracy":0.95}')],
]);

// The mapping from a real verdict: guards the shape of the checks' details it reads (outputsHash files, the checked spec, document CIDs).
describe('provenanceStatement from a verifyJob verdict on anvil + Helia', () => {
  let world: AuditWorld;
  before(async () => {
    world = await createAuditWorld();
  });
  after(() => world.close());

  it('attests the result files, the dataset and image, the provider and the recordJob transaction', async () => {
    const { document } = await world.datasetDocument();
    const asset = await world.publish({ document });
    const orderId = await world.order(asset.datatoken);
    const receipt = await world.receiptFor([{ orderId, asset }], { outputsHash: listingHash([...RESULTS].map(([path, b]) => ({ path, sha256: sha(b) }))) });
    const txHash = await world.record(receipt);
    const verdict = await verifyJob(world.client, { jobId: receipt.jobId, resultFiles: RESULTS, algorithm: TEST_SPEC });
    assert.equal(verdict.ok, true);

    const s = provenanceStatement(verdict, { chainId: world.client.chainId, contracts: world.addresses });
    assert.deepEqual(s.subject, [
      { name: 'metrics.json', digest: { sha256: sha(RESULTS.get('metrics.json')!) } },
      { name: 'model.pkl', digest: { sha256: sha(RESULTS.get('model.pkl')!) } },
    ]);
    const [dataset, image] = s.predicate.buildDefinition.resolvedDependencies;
    assert.deepEqual(dataset, {
      name: `dataset ${asset.assetId}`,
      uri: `eip155:${world.client.chainId}/erc721:${getAddress(world.addresses.dataNFT)}/${asset.assetId}`,
      digest: { sha256: asset.contentHash.replace(/^0x/, '') },
      annotations: { assetId: asset.assetId.toString(), orderId, documentCid: asset.cid },
    });
    assert.equal(image?.annotations?.imageId, TEST_SPEC.image);
    assert.deepEqual(s.predicate.buildDefinition.externalParameters.algorithm.command, TEST_SPEC.command);
    assert.equal(s.predicate.runDetails.builder.id, `eip155:${world.client.chainId}:${world.providerKey.address}`);
    const tx = await world.rpc.getTransactionReceipt(txHash);
    assert.equal(s.predicate.runDetails.cove_receipt.transactionHash, txHash);
    assert.equal(s.predicate.runDetails.cove_receipt.blockNumber, tx?.blockNumber);
    assert.equal(s.predicate.runDetails.cove_audit.verdict, 'VERIFIED');
  });
});
