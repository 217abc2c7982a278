export { startAnvil, ANVIL_DEFAULT_KEYS, type Anvil, type AnvilParameters } from './devnet/anvil.js';
export { CoveError, isCoveError } from './errors.js';
export { DataPlaneError, type DataPlaneErrorCode } from './crypto/errors.js';
export { encryptStream, decryptStream, type EncryptStreamParameters, type EncryptStreamResult, type EncryptStreamReturnType, type DecryptStreamParameters, type EnvelopeProgress } from './crypto/envelope.js';
export { encryptFile, decryptFile, type EncryptFileParameters, type DecryptFileParameters, type DecryptFileReturnType } from './crypto/envelope-file.js';
export { DEFAULT_CHUNK_SIZE, DEFAULT_ALGORITHM, envelopeSize, type EnvelopeAlgorithm, type EnvelopeParams } from './crypto/envelope-format.js';
export { generateContentKey, generateKeyPair, keyPairFromSecretKey, encodeKey, decodeKey, serializeKeyPair, parseKeyPair, saveKeyPair, loadKeyPair, type KeyPair, type SerializedKeyPair, type SaveKeyPairParameters } from './crypto/keys.js';
export { sealKey, openSealedKey, SEALED_KEY_PREFIX, type SealKeyParameters, type OpenSealedKeyParameters } from './crypto/seal.js';
