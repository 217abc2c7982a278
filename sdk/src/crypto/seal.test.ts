import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateContentKey, generateKeyPair } from './keys.js';
import { BOUND_SEALED_KEY_PREFIX, openSealedKey, SEALED_KEY_PREFIX, sealKey, type KeyBinding } from './seal.js';

const binding: KeyBinding = {
  chainId: 31337n,
  dataNft: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
  publisher: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
};
const lower = (b: KeyBinding) => ({ chainId: b.chainId, dataNft: b.dataNft.toLowerCase(), publisher: b.publisher.toLowerCase() });
const bodyOf = (sealed: string) => Buffer.from(sealed.slice(sealed.indexOf(':') + 1), 'base64url');

describe('bound key sealing (cove-seal-v2)', () => {
  it('round-trips the key with its chain id, DataNFT and publisher', () => {
    const recipient = generateKeyPair();
    const key = generateContentKey();
    const sealed = sealKey({ key, recipientPublicKey: recipient.publicKey, binding });
    assert.match(sealed, /^cove-seal-v2:[A-Za-z0-9_-]+$/);
    assert.equal(bodyOf(sealed).byteLength, 32 + 24 + 32 + 32 + 20 + 20 + 16);
    const opened = openSealedKey({ sealed, secretKey: recipient.secretKey });
    assert.deepEqual(opened.key, key);
    assert.deepEqual(opened.binding, lower(binding));
  });

  it('carries the full uint256 range of chain ids, big-endian', () => {
    const recipient = generateKeyPair();
    for (const chainId of [0n, 1n, 0x0102n, (1n << 256n) - 1n]) {
      const sealed = sealKey({ key: generateContentKey(), recipientPublicKey: recipient.publicKey, binding: { ...binding, chainId } });
      assert.equal(openSealedKey({ sealed, secretKey: recipient.secretKey }).binding?.chainId, chainId);
    }
  });

  it('fails to open when any byte of the sealed key is altered', () => {
    const recipient = generateKeyPair();
    const sealed = sealKey({ key: generateContentKey(), recipientPublicKey: recipient.publicKey, binding });
    const body = bodyOf(sealed);
    for (let i = 0; i < body.byteLength; i++) {
      const altered = Buffer.from(body);
      altered[i]! ^= 0x01;
      assert.throws(() => openSealedKey({ sealed: BOUND_SEALED_KEY_PREFIX + altered.toString('base64url'), secretKey: recipient.secretKey }), { code: 'SEAL_OPEN_FAILED' }, `byte ${i}`);
    }
  });

  it('does not open with another secret key', () => {
    const sealed = sealKey({ key: generateContentKey(), recipientPublicKey: generateKeyPair().publicKey, binding });
    assert.throws(() => openSealedKey({ sealed, secretKey: generateKeyPair().secretKey }), { code: 'SEAL_OPEN_FAILED' });
  });

  it('still opens an unbound v1 key, without a binding', () => {
    const recipient = generateKeyPair();
    const key = generateContentKey();
    const sealed = sealKey({ key, recipientPublicKey: recipient.publicKey });
    assert.ok(sealed.startsWith(SEALED_KEY_PREFIX));
    const opened = openSealedKey({ sealed, secretKey: recipient.secretKey });
    assert.deepEqual(opened.key, key);
    assert.equal(opened.binding, undefined);
    assert.ok(!('binding' in opened));
  });

  it('refuses a v1 body under the v2 prefix, a v2 body under the v1 prefix and wrong lengths with SEAL_BAD_FORMAT', () => {
    const recipient = generateKeyPair();
    const v1 = sealKey({ key: generateContentKey(), recipientPublicKey: recipient.publicKey });
    const v2 = sealKey({ key: generateContentKey(), recipientPublicKey: recipient.publicKey, binding });
    const open = (sealed: string) => () => openSealedKey({ sealed, secretKey: recipient.secretKey });
    assert.throws(open(BOUND_SEALED_KEY_PREFIX + bodyOf(v1).toString('base64url')), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open(SEALED_KEY_PREFIX + bodyOf(v2).toString('base64url')), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open(BOUND_SEALED_KEY_PREFIX + bodyOf(v2).subarray(1).toString('base64url')), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open(BOUND_SEALED_KEY_PREFIX + Buffer.concat([bodyOf(v2), Buffer.from([0])]).toString('base64url')), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open(BOUND_SEALED_KEY_PREFIX), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open(v2 + '!'), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(open('cove-seal-v3:' + bodyOf(v2).toString('base64url')), { code: 'SEAL_BAD_FORMAT' });
  });

  it('refuses a malformed binding with SEAL_BAD_BINDING', () => {
    const seal = (b: KeyBinding) => () => sealKey({ key: generateContentKey(), recipientPublicKey: generateKeyPair().publicKey, binding: b });
    assert.throws(seal({ ...binding, chainId: -1n }), { code: 'SEAL_BAD_BINDING' });
    assert.throws(seal({ ...binding, chainId: 1n << 256n }), { code: 'SEAL_BAD_BINDING' });
    assert.throws(seal({ ...binding, dataNft: '0x1234' }), { code: 'SEAL_BAD_BINDING' });
    assert.throws(seal({ ...binding, publisher: binding.publisher.slice(2) }), { code: 'SEAL_BAD_BINDING' });
  });

  it('seals the same key to different bindings as different strings, each opening to its own binding', () => {
    const recipient = generateKeyPair();
    const key = generateContentKey();
    const other = { ...binding, publisher: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' };
    const a = openSealedKey({ sealed: sealKey({ key, recipientPublicKey: recipient.publicKey, binding }), secretKey: recipient.secretKey });
    const b = openSealedKey({ sealed: sealKey({ key, recipientPublicKey: recipient.publicKey, binding: other }), secretKey: recipient.secretKey });
    assert.deepEqual(a.key, b.key);
    assert.notDeepEqual(a.binding, b.binding);
  });
});
