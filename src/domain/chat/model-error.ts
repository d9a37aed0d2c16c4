import type { ModelErrorCode } from '../ports/chat-model';

/** A model stream that ended badly; the code reaches the client in the FAILED reply event. */
export class ModelError extends Error {
  override readonly name = 'ModelError';

  constructor(
    readonly code: ModelErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
