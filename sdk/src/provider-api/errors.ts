import { CoveError } from '../errors.js';

/**
 * The provider's error codes (its `ERROR_STATUS` keys) plus the two failures of the
 * transport itself. The provider's code is kept as is, so one code means one thing on
 * both sides of the wire.
 */
export const PROVIDER_ERROR_CODES = [
  'VALIDATION',
  'MALFORMED_JSON',
  'SIGNATURE_INVALID',
  'SIGNATURE_EXPIRED',
  'SIGNER_MISMATCH',
  'NONCE_REPLAYED',
  'ORDER_NOT_FOUND',
  'ORDER_ASSET_MISMATCH',
  'ORDER_PROVIDER_MISMATCH',
  'ORDER_CONSUMER_MISMATCH',
  'ORDER_SERVICE_MISMATCH',
  'ORDER_EXPIRED',
  'ORDER_ALREADY_USED',
  'ASSET_NOT_FOUND',
  'ASSET_DOCUMENT_MISMATCH',
  'ASSET_NOT_SERVED',
  'KEY_NOT_SEALED_TO_PROVIDER',
  'KEY_BINDING_MISMATCH',
  'SERVICE_NOT_OFFERED',
  'ALGORITHM_NOT_ALLOWED',
  'ALGORITHM_CODE_MISMATCH',
  'ALGORITHM_CODE_TOO_LARGE',
  'ALGORITHM_BUNDLE_INVALID',
  'ALGORITHM_CODE_UNAVAILABLE',
  'ALGORITHM_IMAGE_UNAVAILABLE',
  'RUNTIME_UNAVAILABLE',
  'PIN_TOO_LARGE',
  'PIN_ADDRESS_REFUSED',
  'PIN_IDLE_TIMEOUT',
  'PIN_SOURCE_UNREACHABLE',
  'ENVIRONMENT_NOT_FOUND',
  'LOGS_NOT_RELEASED',
  'JOB_NOT_FOUND',
  'JOB_NOT_FINISHED',
  'NOT_ASSET_OWNER',
  'JOB_NOT_AWAITING_RELEASE',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'QUEUE_FULL',
  'NOT_FOUND',
  'NOT_ACCEPTABLE',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export type ProviderApiErrorCode = (typeof PROVIDER_ERROR_CODES)[number] | 'PROVIDER_UNREACHABLE' | 'PROVIDER_BAD_RESPONSE';

/**
 * A provider's refusal or a failed exchange with it. `details.status` is the HTTP status,
 * `details.provider` the provider's own details.
 */
export class ProviderApiError extends CoveError<ProviderApiErrorCode> {
  override name = 'ProviderApiError';
}

const KNOWN = new Set<string>(PROVIDER_ERROR_CODES);

/** Maps a provider error body to a `ProviderApiError` (unknown codes become `PROVIDER_BAD_RESPONSE`). */
export function fromErrorBody(status: number, body: unknown, path: string): ProviderApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' && KNOWN.has(error.code) ? (error.code as ProviderApiErrorCode) : 'PROVIDER_BAD_RESPONSE';
  const message = typeof error?.message === 'string' ? error.message : `provider answered ${status}`;
  return new ProviderApiError(code, `${path}: ${message}`, { details: { status, path, providerCode: error?.code, provider: error?.details } });
}
