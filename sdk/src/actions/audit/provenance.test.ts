import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalAlgorithmSpec, normalizeAlgorithmSpec, algorithmHash } from '../../algorithm/spec.js';
import { JOB_RUNTIME, JOB_STATUS } from '../../contracts/index.js';
import { COVE_COMPUTE_BUILD_TYPE, IN_TOTO_STATEMENT_V1, ProvenanceError, SLSA_PROVENANCE_V1, provenanceStatement } from './provenance.js';
import { fail, pass, type JobVerdict } from './types.js';

const hex = (byte: string) => `0x${byte.repeat(32)}`;
const SPEC = normalizeAlgorithmSpec({ image: `sha256:${'1a'.repeat(32)}`, codeHash: hex('2b'), command: ['python3', '/data/transformations/algorithm/train.py'], env: ['EPOCHS=3'] });
const CHAIN = { chainId: 31337n, contracts: { computeReceipts: '0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0', dataNFT: '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512', providerRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3' } };
const PROVIDER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const JOB_ID = hex('77');
const FILES = [
  { path: 'model.json', sha256: 'aa'.repeat(32), size: 10 },
  { path: 'metrics.json', sha256: 'BB'.repeat(32), size: 5 },
];

/** A verdict shaped as verifyJob returns it for a two-dataset job given results and the spec. */
function fixture(overrides: Partial<JobVerdict> = {}): JobVerdict {
  return {
    jobId: JOB_ID,
    ok: true,
    checks: [
      pass('receiptExists', 'holds a receipt'),
      pass('providerSignature', 'recovers'),
      pass('providerRegistered', 'registered'),
      pass('ordersValid', 'valid'),
      pass('datasetContentHashes', 'equal', { assets: [{ assetId: '1', receipt: hex('c1'), document: hex('c1'), cid: 'bafy-doc-1' }, { assetId: '2', receipt: hex('c2'), document: hex('c2'), cid: 'bafy-doc-2' }] }),
      pass('documentUnchangedSinceJob', 'unchanged'),
      pass('algorithmAllowed', 'approved'),
      pass('algorithmSpec', 'hashes', { computed: algorithmHash(SPEC), receipt: algorithmHash(SPEC), canonical: canonicalAlgorithmSpec(SPEC) }),
      pass('outputsHash', 'hash', { computed: hex('0f'), receipt: hex('0f'), files: FILES }),
    ],
    skipped: [],
    receipt: {
      jobId: JOB_ID,
      consumer: '0x00000000000000000000000000000000000000c0',
      orderIds: [hex('01'), hex('02')],
      assetIds: [1n, 2n],
      datasetContentHashes: [hex('c1'), hex('c2')],
      algorithmImageDigest: hex('1a'),
      algorithmCodeHash: hex('2b'),
      algorithmHash: algorithmHash(SPEC),
      outputsHash: hex('0f'),
      resultCid: 'bafyresult',
      status: JOB_STATUS.succeeded,
      runtime: JOB_RUNTIME.runsc,
      startedAt: 1_735_787_045n,
      finishedAt: 1_735_787_105n,
    },
    status: 'succeeded',
    provider: PROVIDER.toLowerCase(),
    recorded: { blockNumber: 42, transactionHash: hex('ee'), logIndex: 3 },
    anyAlgorithm: false,
    runtime: 'runsc',
    ...overrides,
  };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProvenanceError, String(err));
    return err.code;
  }
  return undefined;
}

describe('provenanceStatement', () => {
  it('maps a verified verdict to an in-toto Statement v1 with a SLSA Provenance v1 predicate, field by field', () => {
    const s = provenanceStatement(fixture(), CHAIN);
    assert.deepEqual(s, {
      _type: IN_TOTO_STATEMENT_V1,
      subject: [
        { name: 'metrics.json', digest: { sha256: 'bb'.repeat(32) } },
        { name: 'model.json', digest: { sha256: 'aa'.repeat(32) } },
      ],
      predicateType: SLSA_PROVENANCE_V1,
      predicate: {
        buildDefinition: {
          buildType: COVE_COMPUTE_BUILD_TYPE,
          externalParameters: {
            algorithm: {
              algorithmHash: algorithmHash(SPEC),
              image: `sha256:${'1a'.repeat(32)}`,
              codeHash: hex('2b'),
              entrypoint: [],
              command: ['python3', '/data/transformations/algorithm/train.py'],
              workingDir: '/tmp',
              env: ['EPOCHS=3'],
              user: '1000:1000',
            },
            datasets: [{ assetId: '1', orderId: hex('01') }, { assetId: '2', orderId: hex('02') }],
          },
          internalParameters: { runtime: 'runsc' },
          resolvedDependencies: [
            { name: 'dataset 1', uri: 'eip155:31337/erc721:0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512/1', digest: { sha256: 'c1'.repeat(32) }, annotations: { assetId: '1', orderId: hex('01'), documentCid: 'bafy-doc-1' } },
            { name: 'dataset 2', uri: 'eip155:31337/erc721:0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512/2', digest: { sha256: 'c2'.repeat(32) }, annotations: { assetId: '2', orderId: hex('02'), documentCid: 'bafy-doc-2' } },
            { name: 'image', digest: { sha256: '1a'.repeat(32) }, mediaType: 'application/vnd.oci.image.config.v1+json', annotations: { imageId: `sha256:${'1a'.repeat(32)}` } },
          ],
        },
        runDetails: {
          builder: { id: `eip155:31337:${PROVIDER}` },
          metadata: { invocationId: JOB_ID, startedOn: '2025-01-02T03:04:05Z', finishedOn: '2025-01-02T03:05:05Z' },
          byproducts: [{ name: 'result bundle', uri: 'ipfs://bafyresult' }],
          cove_receipt: {
            chainId: '31337',
            contracts: { computeReceipts: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0', dataNFT: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', providerRegistry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' },
            provider: PROVIDER,
            jobId: JOB_ID,
            consumer: '0x00000000000000000000000000000000000000C0',
            transactionHash: hex('ee'),
            blockNumber: 42,
            logIndex: 3,
            orderIds: [hex('01'), hex('02')],
            assetIds: ['1', '2'],
            datasetContentHashes: [hex('c1'), hex('c2')],
            algorithmImageDigest: hex('1a'),
            algorithmCodeHash: hex('2b'),
            algorithmHash: algorithmHash(SPEC),
            outputsHash: hex('0f'),
            resultCid: 'bafyresult',
            status: 'succeeded',
            runtime: 'runsc',
            startedAt: '1735787045',
            finishedAt: '1735787105',
          },
          cove_audit: {
            verdict: 'VERIFIED',
            anyAlgorithm: false,
            checks: fixture().checks.map((c) => ({ name: c.name, ok: true })),
            skipped: [],
          },
        },
      },
    });
    // Plain JSON: no bigint left, survives a round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  it('writes RFC 3339 UTC times and every digest as the in-toto {sha256: 64 lowercase hex}', () => {
    const s = provenanceStatement(fixture(), CHAIN);
    const { startedOn, finishedOn } = s.predicate.runDetails.metadata;
    for (const t of [startedOn, finishedOn]) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(Date.parse(startedOn) / 1000, 1_735_787_045);
    const digests = [...s.subject, ...s.predicate.buildDefinition.resolvedDependencies].map((r) => r.digest);
    assert.equal(digests.length, 5);
    for (const d of digests) {
      assert.deepEqual(Object.keys(d!), ['sha256']);
      assert.match(d!.sha256, /^[0-9a-f]{64}$/);
    }
  });

  it('refuses a verdict that is not VERIFIED unless allowUnverified, which records the failed checks', () => {
    const checks = fixture().checks.map((c) => (c.name === 'documentUnchangedSinceJob' ? fail(c.name, 'DOCUMENT_CHANGED', 'changed') : c));
    const failed = fixture({ ok: false, checks });
    assert.equal(code(() => provenanceStatement(failed, CHAIN)), 'NOT_VERIFIED');
    const audit = provenanceStatement(failed, { ...CHAIN, allowUnverified: true }).predicate.runDetails.cove_audit;
    assert.equal(audit.verdict, 'FAILED');
    assert.deepEqual(audit.checks.find((c) => !c.ok), { name: 'documentUnchangedSinceJob', ok: false, code: 'DOCUMENT_CHANGED' });
  });

  it('needs a receipt and the hashed result files (the subjects)', () => {
    assert.equal(code(() => provenanceStatement(fixture({ ok: false, receipt: undefined, provider: undefined }), { ...CHAIN, allowUnverified: true })), 'NO_RECEIPT');
    const noFiles = fixture({ checks: fixture().checks.filter((c) => c.name !== 'outputsHash'), skipped: [{ name: 'outputsHash', reason: 'no result files given' }] });
    assert.equal(code(() => provenanceStatement(noFiles, CHAIN)), 'NO_RESULT_FILES');
  });

  it('without a checked spec names the algorithm by the receipt only; without the record log omits tx and block', () => {
    const v = fixture({ checks: fixture().checks.filter((c) => c.name !== 'algorithmSpec'), skipped: [{ name: 'algorithmSpec', reason: 'no algorithm spec given' }], recorded: undefined });
    const s = provenanceStatement(v, CHAIN);
    assert.deepEqual(s.predicate.buildDefinition.externalParameters.algorithm, { algorithmHash: algorithmHash(SPEC), image: `sha256:${'1a'.repeat(32)}`, codeHash: hex('2b') });
    const r = s.predicate.runDetails.cove_receipt;
    assert.equal('transactionHash' in r || 'blockNumber' in r || 'logIndex' in r, false);
    assert.deepEqual(s.predicate.runDetails.cove_audit.skipped, ['algorithmSpec']);
  });

  it('marks a verdict on a job that any algorithm could run as VERIFIED_ANY_ALGORITHM', () => {
    const s = provenanceStatement(fixture({ anyAlgorithm: true }), CHAIN);
    assert.equal(s.predicate.runDetails.cove_audit.verdict, 'VERIFIED_ANY_ALGORITHM');
    assert.equal(s.predicate.runDetails.cove_audit.anyAlgorithm, true);
  });
});
