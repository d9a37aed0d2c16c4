import { AppError } from '../domain/errors';

/**
 * What one operation may make the API hold in response data, counted as rows are loaded: the
 * validation-time estimate assumes the content limit, while an assistant's reply or reasoning may
 * be longer, so this is the bound that holds whatever the data. Once spent, every later charge
 * fails too, so sibling fields stop loading instead of each filling memory up to the limit.
 */
export interface ResponseBudget {
  /** Adds `bytes`; throws RESPONSE_TOO_LARGE once the operation's total passes the limit. */
  charge(bytes: number): void;
}

export const createResponseBudget = (maxBytes: number): ResponseBudget => {
  let used = 0;
  return {
    charge(bytes) {
      used += bytes;
      if (used > maxBytes)
        throw new AppError(
          'RESPONSE_TOO_LARGE',
          `the response would hold more than ${maxBytes} bytes; ask for fewer rows or text fields`,
        );
    },
  };
};

/**
 * A string's size as UTF-8 JSON, escapes included (a control character becomes \u00XX, six bytes):
 * the 32,000 characters of \u0001 that are one 32 KB string in memory are 192 KB of response.
 */
export const jsonBytes = (text: string | null | undefined): number => {
  if (!text) return 2;
  let bytes = 2;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    bytes +=
      c < 0x20 ? 6 : c === 0x22 || c === 0x5c ? 2 : c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
  }
  return bytes;
};
