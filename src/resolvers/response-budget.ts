import { AppError } from '../domain/errors';

/** JSON escapes a control character as \u00XX: six bytes for one character of content, at worst. */
export const JSON_BYTES_PER_CHAR = 6;

/** Replaces a reservation with the real size of what was loaded (throws as a reservation does). */
type Settle = (actualBytes: number) => void;

/**
 * What one operation may make the API hold in response data, counted as rows are loaded: the
 * validation-time estimate assumes the content limit, while an assistant's reply or reasoning may
 * be longer, so this is the bound that holds whatever the data. A page is reserved before it is
 * loaded and settled to its real size after, so sibling fields resolving in parallel are each
 * counted before any of them loads; once the budget is spent, every later reservation fails too,
 * so siblings stop loading instead of each filling memory up to the limit.
 */
export interface ResponseBudget {
  /**
   * Reserves `rows` rows of text at the content limit, as JSON at worst, before they are loaded;
   * throws RESPONSE_TOO_LARGE when the operation's total would pass the limit. Settle with the
   * rows' real size once loaded.
   */
  reserveRows(rows: number): Settle;
}

export const createResponseBudget = (limits: { maxBytes: number; maxContentChars: number }): ResponseBudget => {
  let used = 0;
  let spent = false;
  const refuse = () => {
    spent = true;
    return new AppError(
      'RESPONSE_TOO_LARGE',
      `the response would hold more than ${limits.maxBytes} bytes; ask for fewer rows or text fields`,
    );
  };
  return {
    reserveRows(rows) {
      let reserved = rows * limits.maxContentChars * JSON_BYTES_PER_CHAR;
      if (spent || used + reserved > limits.maxBytes) throw refuse();
      used += reserved;
      return (actualBytes) => {
        used += actualBytes - reserved;
        reserved = actualBytes;
        if (used > limits.maxBytes) throw refuse();
      };
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
