/** Redis Stream ids are two unsigned 64-bit integers, `ms-seq`. */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_U64 = 18_446_744_073_709_551_615n;

/**
 * A chatStream cursor as the store can take it: the shape alone is not enough, since
 * "99999999999999999999-0" has it and is still refused by Redis (past 64 bits), which used to
 * surface mid-stream instead of as bad input.
 */
export const isStreamCursor = (value: string): boolean => {
  const match = STREAM_ID.exec(value);
  return match !== null && BigInt(match[1] as string) <= MAX_U64 && BigInt(match[2] as string) <= MAX_U64;
};
