import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeKey, encodeKey, generateContentKey, generateKeyPair, loadKeyPair, parseKeyPair, saveKeyPair, serializeKeyPair } from './keys.js';
import { openSealedKey, sealKey } from './seal.js';
import { errorCode } from './test-helpers.js';

describe('key sealing', () => {
  it('opens a sealed content key only with the recipient secret key', () => {
    const recipient = generateKeyPair();
    const key = generateContentKey();
    const sealed = sealKey({ key, recipientPublicKey: recipient.publicKey });
    assert.match(sealed, /^cove-seal-v1:[A-Za-z0-9_-]+$/);
    assert.deepEqual(openSealedKey({ sealed, secretKey: recipient.secretKey }), { key });
    assert.throws(() => openSealedKey({ sealed, secretKey: generateKeyPair().secretKey }), { code: 'SEAL_OPEN_FAILED' });
  });

  it('uses a fresh ephemeral key each time', () => {
    const recipient = generateKeyPair();
    const key = generateContentKey();
    assert.notEqual(sealKey({ key, recipientPublicKey: recipient.publicKey }), sealKey({ key, recipientPublicKey: recipient.publicKey }));
  });

  it('rejects an altered or malformed sealed key', () => {
    const recipient = generateKeyPair();
    const sealed = sealKey({ key: generateContentKey(), recipientPublicKey: recipient.publicKey });
    const body = Buffer.from(sealed.split(':')[1]!, 'base64url');
    body[body.length - 1]! ^= 1;
    const altered = `cove-seal-v1:${body.toString('base64url')}`;
    assert.throws(() => openSealedKey({ sealed: altered, secretKey: recipient.secretKey }), { code: 'SEAL_OPEN_FAILED' });
    assert.throws(() => openSealedKey({ sealed: 'cove-seal-v2:abc', secretKey: recipient.secretKey }), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(() => openSealedKey({ sealed: sealed.slice(0, -4), secretKey: recipient.secretKey }), { code: 'SEAL_BAD_FORMAT' });
    assert.throws(() => sealKey({ key: new Uint8Array(16), recipientPublicKey: recipient.publicKey }), { code: 'INVALID_KEY' });
  });
});

describe('key pairs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cove-keys-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves a key pair with 0600 permissions and loads it back', async () => {
    const keyPair = generateKeyPair();
    const path = join(dir, 'provider.json');
    await saveKeyPair({ path, keyPair });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const loaded = await loadKeyPair({ path });
    assert.deepEqual(loaded.publicKey, keyPair.publicKey);
    assert.deepEqual(loaded.secretKey, keyPair.secretKey);
  });

  it('refuses to overwrite an existing key file unless asked', async () => {
    const path = join(dir, 'twice.json');
    await saveKeyPair({ path, keyPair: generateKeyPair() });
    assert.equal(await errorCode(saveKeyPair({ path, keyPair: generateKeyPair() })), 'INVALID_KEY');
    const replacement = generateKeyPair();
    await saveKeyPair({ path, keyPair: replacement, overwrite: true });
    assert.deepEqual((await loadKeyPair({ path })).publicKey, replacement.publicKey);
  });

  it('refuses a key file readable by group or others', async () => {
    const path = join(dir, 'open.json');
    await writeFile(path, serializeKeyPair(generateKeyPair()));
    await chmod(path, 0o644);
    assert.equal(await errorCode(loadKeyPair({ path })), 'KEY_FILE_PERMISSIONS');
    await chmod(path, 0o640);
    assert.equal(await errorCode(loadKeyPair({ path })), 'KEY_FILE_PERMISSIONS');
    await chmod(path, 0o600);
    await loadKeyPair({ path });
  });

  it('reports a missing key file', async () => {
    assert.equal(await errorCode(loadKeyPair({ path: join(dir, 'none.json') })), 'KEY_FILE_NOT_FOUND');
  });

  it('parses a key pair from JSON or a bare secret key, as an environment variable holds it', () => {
    const keyPair = generateKeyPair();
    assert.deepEqual(parseKeyPair(serializeKeyPair(keyPair)).publicKey, keyPair.publicKey);
    assert.deepEqual(parseKeyPair(` ${encodeKey(keyPair.secretKey)}\n`).publicKey, keyPair.publicKey);
  });

  it('rejects malformed or inconsistent key pairs with INVALID_KEY', () => {
    const keyPair = generateKeyPair();
    const json = JSON.parse(serializeKeyPair(keyPair));
    assert.throws(() => parseKeyPair('not a key'), { code: 'INVALID_KEY' });
    assert.throws(() => parseKeyPair(JSON.stringify({ ...json, version: 2 })), { code: 'INVALID_KEY' });
    assert.throws(() => parseKeyPair(JSON.stringify({ ...json, publicKey: encodeKey(generateKeyPair().publicKey) })), { code: 'INVALID_KEY' });
    assert.throws(() => decodeKey('0x1234'), { code: 'INVALID_KEY' });
  });
});
