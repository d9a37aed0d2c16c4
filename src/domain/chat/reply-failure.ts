/**
 * What a subscriber reads in ReplyFailed.reason: our own words per failure code. The provider's
 * error text can name accounts, organisations or request ids; it goes to the log, never here.
 */
const WORDING: Record<string, string> = {
  MODEL_TIMEOUT: 'The model did not answer in time.',
  MODEL_REJECTED: 'The model refused the request.',
  MODEL_UNAVAILABLE: 'The model is unavailable right now; try again later.',
  MODEL_STREAM_CUT: 'The connection to the model broke off before the reply was complete.',
  INTERRUPTED: 'The reply was interrupted: the process generating it stopped before it finished.',
  INTERNAL: 'The reply could not be completed because of an internal error.',
  REPLY_STREAM_UNAVAILABLE: 'The reply could not be streamed for too long; the text so far is saved.',
  CANCELLED: 'The reply was stopped at your request; the text so far is saved.',
};

export const replyFailureReason = (code: string): string => WORDING[code] ?? 'The reply could not be completed.';
