import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateContentKey, generateKeyPair, sealKey } from '@cove/sdk';
import { createCryptoAdapter } from './crypto.js';

test('bindingOf reads the binding of a key sealed to the provider (the same on every call), and refuses one sealed to another', () => {
  const provider = generateKeyPair();
  const crypto = createCryptoAdapter({ keyPair: provider });
  const key = generateContentKey();
  const binding = { chainId: 31337n, dataNft: '0x' + 'da'.repeat(20), publisher: '0x' + 'ab'.repeat(20) };
  const sealed = sealKey({ key, recipientPublicKey: provider.publicKey, binding });
  for (let i = 0; i < 2; i++) assert.deepEqual(crypto.bindingOf(sealed), binding);
  assert.equal(crypto.bindingOf(sealKey({ key, recipientPublicKey: provider.publicKey })), undefined, 'an unbound key has no binding');
  assert.deepEqual(Buffer.from(crypto.openKey(sealed).key), Buffer.from(key), 'the key still opens for a job');
  const elsewhere = sealKey({ key, recipientPublicKey: generateKeyPair().publicKey, binding });
  for (let i = 0; i < 2; i++) assert.throws(() => crypto.bindingOf(elsewhere));
});
