import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeKey, generateContentKey, generateKeyPair } from '../crypto/keys.js';
import { sealKey } from '../crypto/seal.js';
import { errorCode } from '../crypto/test-helpers.js';
import { createStorageNode, type StorageNode } from '../storage/helia.js';
import { canonicalJson } from './canonical.js';
import { hashDocument, loadDocument, parseAssetDocument, serializeDocument, storeDocument } from './document.js';
import type { AssetDocumentInput } from './schema.js';
import { algorithmHash, normalizeAlgorithmSpec } from '../algorithm/spec.js';

const SAMPLE_SPEC = normalizeAlgorithmSpec({ image: `sha256:${'cd'.repeat(32)}`, codeHash: `0x${'ef'.repeat(32)}`, command: ['python3', '/data/transformations/algorithm/train.py'] });

const provider = generateKeyPair();
const BINDING = { chainId: 31337n, dataNft: '0x5FbDB2315678afecb367f032d93F642f64180aa3', publisher: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' };

function sampleDocument(): AssetDocumentInput {
  return {
    version: 2,
    name: 'Breast cancer (Wisconsin)',
    description: 'Diagnostic features, 569 rows',
    tags: ['medical', 'tabular'],
    license: 'CC-BY-4.0',
    kind: 'dataset',
    content: {
      type: 'text/csv',
      size: 123_456,
      contentHash: `0x${'ab'.repeat(32)}`,
      encryptedContentCid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi',
      sealedKey: sealKey({ key: generateContentKey(), recipientPublicKey: provider.publicKey, binding: BINDING }),
      envelope: { version: 1, algorithm: 'aes-256-gcm', chunkSize: 1048576 },
    },
    provider: { address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', url: 'http://127.0.0.1:8030', x25519PublicKey: encodeKey(provider.publicKey) },
    services: [
      { id: 0, type: 'compute', timeoutSeconds: 3600, price: { token: '0x5FbDB2315678afecb367f032d93F642f64180aa3', amount: '1000000000000000000' } },
      { id: 1, type: 'access', timeoutSeconds: 86400 },
    ],
    computePolicy: {
      allowedAlgorithms: [{ hash: algorithmHash(SAMPLE_SPEC), spec: SAMPLE_SPEC }],
      limits: { cpus: 1.5, memoryBytes: 512 * 1024 * 1024, timeoutSeconds: 600, pidsLimit: 128, outputBytes: 64 * 1024 * 1024 },
      outputPolicy: { maxBytes: 10 * 1024 * 1024, allowedPatterns: ['*.pkl', 'metrics.json'], logs: 'tail:100', leakGuard: { enabled: true } },
    },
    created: '2025-01-02T03:04:05.000Z',
  };
}

/** Rebuilds `value` with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

function invalidCode(value: unknown): string {
  try {
    parseAssetDocument(value);
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'accepted';
}

describe('asset document', () => {
  it('serialises canonically: sorted keys, no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 'é' }], c: null }, e: 0.5 }), '{"a":{"c":null,"d":[3,{"y":"é","z":1}]},"b":1,"e":0.5}');
  });

  it('hashes the same regardless of key order', () => {
    const doc = sampleDocument();
    const reversed = reverseKeys(doc) as AssetDocumentInput;
    assert.notEqual(JSON.stringify(doc), JSON.stringify(reversed));
    assert.equal(hashDocument(reversed), hashDocument(doc));
    assert.deepEqual(serializeDocument(reversed), serializeDocument(doc));
    assert.match(hashDocument(doc), /^0x[0-9a-f]{64}$/);
  });

  it('changes the hash when any value changes', () => {
    const doc = sampleDocument();
    const changed = sampleDocument();
    changed.content.sealedKey = doc.content.sealedKey;
    assert.equal(hashDocument(changed), hashDocument(doc));
    changed.content.size += 1;
    assert.notEqual(hashDocument(changed), hashDocument(doc));
  });

  it('fills the leak guard default of 64 bytes', () => {
    assert.equal(parseAssetDocument(sampleDocument()).computePolicy?.outputPolicy.leakGuard.minRunBytes, 64);
  });

  it("leaves the release budget to the provider's default when absent, and keeps an owner's", () => {
    assert.equal(parseAssetDocument(sampleDocument()).computePolicy?.outputPolicy.maxReleaseBytes, undefined);
    const d = sampleDocument() as any;
    d.computePolicy.outputPolicy.maxReleaseBytes = 4096;
    assert.equal(parseAssetDocument(d).computePolicy?.outputPolicy.maxReleaseBytes, 4096);
  });

  it('refuses unsafe formats unless the owner allows them: allowUnsafeFormats absent by default, kept when given', () => {
    assert.equal(parseAssetDocument(sampleDocument()).computePolicy?.outputPolicy.allowUnsafeFormats, undefined);
    const d = sampleDocument() as any;
    d.computePolicy.outputPolicy.allowUnsafeFormats = true;
    assert.equal(parseAssetDocument(d).computePolicy?.outputPolicy.allowUnsafeFormats, true);
  });

  it('keeps requireRuntime runsc (jobs under gVisor only), absent by default', () => {
    assert.equal(parseAssetDocument(sampleDocument()).computePolicy?.requireRuntime, undefined);
    const d = sampleDocument() as any;
    d.computePolicy.requireRuntime = 'runsc';
    assert.equal(parseAssetDocument(d).computePolicy?.requireRuntime, 'runsc');
  });

  it('rejects invalid documents with INVALID_DOCUMENT and the zod issues', () => {
    const withExtra = { ...sampleDocument(), extra: 1 };
    const err = (() => {
      try {
        parseAssetDocument(withExtra);
      } catch (e) {
        return e as { code: string; details: { issues: { path: string }[] } };
      }
      throw new Error('accepted');
    })();
    assert.equal(err.code, 'INVALID_DOCUMENT');
    assert.ok(err.details.issues.length > 0);

    const cases: Array<[string, (d: any) => void]> = [
      ['wrong version', (d) => (d.version = 1)],
      ['unknown kind', (d) => (d.kind = 'video')],
      ['unknown nested key', (d) => (d.content.envelope.salt = 'x')],
      ['uppercase content hash', (d) => (d.content.contentHash = `0x${'AB'.repeat(32)}`)],
      ['CIDv0', (d) => (d.content.encryptedContentCid = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG')],
      ['bad image id', (d) => Object.assign(d.computePolicy, { allowedAlgorithms: undefined, allowAnyAlgorithm: true, allowedImages: ['python:3.12'] })],
      ['no algorithm rule', (d) => delete d.computePolicy.allowedAlgorithms],
      ['both algorithm rules', (d) => Object.assign(d.computePolicy, { allowAnyAlgorithm: true, allowedImages: [`sha256:${'cd'.repeat(32)}`] })],
      ['any algorithm without images', (d) => Object.assign(d.computePolicy, { allowedAlgorithms: undefined, allowAnyAlgorithm: true })],
      ['images beside approved algorithms', (d) => (d.computePolicy.allowedImages = [`sha256:${'cd'.repeat(32)}`])],
      ['an approved spec that does not hash to its hash', (d) => (d.computePolicy.allowedAlgorithms[0].spec.command = ['sh'])],
      ['an approved spec running as root', (d) => (d.computePolicy.allowedAlgorithms = [{ hash: `0x${'ab'.repeat(32)}`, spec: { ...SAMPLE_SPEC, user: '0:0' } }])],
      ['bad logs', (d) => (d.computePolicy.outputPolicy.logs = 'all')],
      ['zero release budget', (d) => (d.computePolicy.outputPolicy.maxReleaseBytes = 0)],
      ['fractional release budget', (d) => (d.computePolicy.outputPolicy.maxReleaseBytes = 1.5)],
      ['allowUnsafeFormats as a string', (d) => (d.computePolicy.outputPolicy.allowUnsafeFormats = 'yes')],
      ['requireRuntime runc (only gVisor can be required)', (d) => (d.computePolicy.requireRuntime = 'runc')],
      ['duplicate service ids', (d) => (d.services[1].id = 0)],
      ['compute without policy', (d) => delete d.computePolicy],
      ['lineage on a dataset', (d) => (d.lineage = { parentJobIds: [`0x${'11'.repeat(32)}`] })],
      ['float size', (d) => (d.content.size = 1.5)],
      ['price as number', (d) => (d.services[0].price.amount = 1)],
      ['bad address', (d) => (d.provider.address = '0x1234')],
      ['unbound (v1) sealed key', (d) => (d.content.sealedKey = sealKey({ key: generateContentKey(), recipientPublicKey: provider.publicKey }))],
      ['not a timestamp', (d) => (d.created = 'yesterday')],
    ];
    for (const [name, mutate] of cases) {
      const d = sampleDocument();
      mutate(d);
      assert.equal(invalidCode(d), 'INVALID_DOCUMENT', name);
    }
    const model = { ...sampleDocument(), kind: 'model', lineage: { parentJobIds: [`0x${'11'.repeat(32)}`] } };
    assert.equal(invalidCode(model), 'accepted');
    const any = sampleDocument() as any;
    delete any.computePolicy.allowedAlgorithms;
    any.computePolicy.allowAnyAlgorithm = true;
    any.computePolicy.allowedImages = [`sha256:${'cd'.repeat(32)}`];
    assert.equal(invalidCode(any), 'accepted');
  });

  describe('on storage', () => {
    let dir: string;
    let node: StorageNode;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cove-document-'));
      node = await createStorageNode({ directory: dir });
    });
    after(async () => {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('stores and loads a document, checking the anchored hash', async () => {
      const doc = sampleDocument();
      const { cid, hash } = await storeDocument(node, doc);
      assert.equal(hash, hashDocument(doc));
      const loaded = await loadDocument(node, cid, { expectedHash: hash, timeoutMs: 2000 });
      assert.deepEqual(loaded.document, parseAssetDocument(doc));
      assert.equal(loaded.hash, hash);
    });

    it('fails with DOCUMENT_HASH_MISMATCH when the anchored hash differs', async () => {
      const { cid } = await storeDocument(node, sampleDocument());
      assert.equal(await errorCode(loadDocument(node, cid, { expectedHash: `0x${'00'.repeat(32)}` })), 'DOCUMENT_HASH_MISMATCH');
    });

    it('fails with INVALID_DOCUMENT for stored bytes that are invalid, not JSON or not canonical', async () => {
      const doc = parseAssetDocument(sampleDocument());
      const invalid = await node.add([Buffer.from(canonicalJson({ ...doc, version: 1 }))]);
      const notJson = await node.add([Buffer.from('{"version":1')]);
      const pretty = await node.add([Buffer.from(JSON.stringify(doc, null, 2))]);
      for (const cid of [invalid, notJson, pretty]) assert.equal(await errorCode(loadDocument(node, cid, { timeoutMs: 2000 })), 'INVALID_DOCUMENT');
    });

    it('fails with CID_NOT_FOUND for a document nobody has', async () => {
      const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
      assert.equal(await errorCode(loadDocument(node, missing, { timeoutMs: 200 })), 'CID_NOT_FOUND');
    });
  });
});
