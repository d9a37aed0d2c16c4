import { get_encoding, type TiktokenEncoding } from 'tiktoken';
import type { TokenCounter } from '../../domain/ports/token-counter';

/**
 * A TokenCounter over tiktoken's WASM encoder. Counting uses `encode_ordinary`, because
 * `encode` throws on text that spells a special token (a user typing "<|endoftext|>"),
 * and a count must never fail on user input.
 *
 * The encoder lives in WASM memory the garbage collector cannot see: call `free()` once at
 * shutdown; `count` throws after that.
 *
 * @param encodingName o200k_base matches the GPT-4o and o-series tokenizers; other providers'
 *   tokenizers differ, so treat counts as estimates there.
 */
export const createTiktokenCounter = (
  encodingName: TiktokenEncoding = 'o200k_base',
): TokenCounter & { free(): void } => {
  const encoding = get_encoding(encodingName);
  return {
    count: (text: string) => encoding.encode_ordinary(text).length,
    free: () => encoding.free(),
  };
};
