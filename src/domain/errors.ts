/**
 * Stable error codes. Clients and ops tooling match on these strings, so a code
 * is never renamed; add a new one instead.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONVERSATION_NOT_FOUND'
  | 'ILLEGAL_TRANSITION'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'RESPONSE_TOO_LARGE'
  | 'REPLY_EXPIRED'
  | 'CONFIG_INVALID'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

/**
 * The one base class for errors the service means to raise. It never reads
 * request context: whoever logs it adds the request id.
 */
export class AppError extends Error {
  override readonly name: string = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
