/**
 * Stable error codes of the provider and the HTTP status each maps to. Clients match on
 * `code`; the status is derived from it, so one code always answers with one status.
 */
export const ERROR_STATUS = {
  VALIDATION: 400,
  MALFORMED_JSON: 400,
  SIGNATURE_INVALID: 401,
  SIGNATURE_EXPIRED: 401,
  SIGNER_MISMATCH: 403,
  NONCE_REPLAYED: 409,
  ORDER_NOT_FOUND: 403,
  ORDER_ASSET_MISMATCH: 403,
  ORDER_PROVIDER_MISMATCH: 403,
  ORDER_CONSUMER_MISMATCH: 403,
  ORDER_SERVICE_MISMATCH: 403,
  ORDER_EXPIRED: 403,
  ORDER_ALREADY_USED: 409,
  ASSET_NOT_FOUND: 404,
  ASSET_DOCUMENT_MISMATCH: 422,
  ASSET_NOT_SERVED: 403,
  KEY_NOT_SEALED_TO_PROVIDER: 403,
  KEY_BINDING_MISMATCH: 403,
  SERVICE_NOT_OFFERED: 403,
  ALGORITHM_NOT_ALLOWED: 403,
  ALGORITHM_CODE_MISMATCH: 422,
  ALGORITHM_CODE_TOO_LARGE: 413,
  ALGORITHM_BUNDLE_INVALID: 422,
  ALGORITHM_CODE_UNAVAILABLE: 422,
  ALGORITHM_IMAGE_UNAVAILABLE: 422,
  RUNTIME_UNAVAILABLE: 422,
  PIN_TOO_LARGE: 413,
  PIN_ADDRESS_REFUSED: 403,
  PIN_IDLE_TIMEOUT: 504,
  PIN_SOURCE_UNREACHABLE: 502,
  ENVIRONMENT_NOT_FOUND: 404,
  LOGS_NOT_RELEASED: 403,
  JOB_NOT_FOUND: 404,
  JOB_NOT_FINISHED: 409,
  NOT_ASSET_OWNER: 403,
  JOB_NOT_AWAITING_RELEASE: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  QUEUE_FULL: 429,
  NOT_FOUND: 404,
  NOT_ACCEPTABLE: 406,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ProviderErrorCode = keyof typeof ERROR_STATUS;

/**
 * Base of every error the provider answers with. `status` follows from `code`
 * (see {@link ERROR_STATUS}); `details` is sent to the client, so it must never hold
 * secrets or internals.
 * @example
 * throw new ProviderError('ORDER_EXPIRED', 'order expired', { details: { orderId } });
 */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ProviderErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
  }
}

/** True when `err` is a ProviderError, optionally with the given code. */
export function isProviderError(err: unknown, code?: ProviderErrorCode): err is ProviderError {
  return err instanceof ProviderError && (code === undefined || err.code === code);
}
