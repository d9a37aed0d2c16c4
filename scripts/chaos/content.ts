import type { Rng } from './rng';

const WORDS = [
  'outbox',
  'relay',
  'kafka',
  'ledger',
  'seq',
  'order',
  'chaos',
  'broker',
  'lease',
  'fence',
  'history',
  'replay',
  'batch',
  'commit',
];
const EXOTIC = ['é', 'ß', 'ø', '漢字', 'かな', '한글', '🙂', '🚀', '👩‍💻', 'Ω', '∑', '—', '“quoted”', '\\', '"', '\t'];

/**
 * Unique, trimmed message text: a tag that names it, then words with some multi-byte and
 * 4-byte characters (utf8mb4 must round-trip byte for byte); now and then a long one.
 */
export const messageText = (rng: Rng, tag: string, maxChars: number) => {
  const parts: string[] = [tag];
  const target = rng.chance(0.01) ? rng.int(2_000, 8_000) : rng.int(5, Math.min(60, maxChars));
  let length = tag.length;
  while (length < target) {
    const piece = rng.chance(0.15) ? rng.pick(EXOTIC) : rng.pick(WORDS);
    // Never cut a piece: half a surrogate pair would not survive the trip as itself.
    if (length + piece.length + 1 > maxChars) break;
    parts.push(piece);
    length += piece.length + 1;
  }
  return parts.join(' ').trim();
};
