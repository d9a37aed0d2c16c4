/** What the log and the consumer group say about one partition of a topic. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next record it will read); null when it never committed one. */
  readonly committed: number | null;
  /** The first offset the log still holds (retention deletes below it). */
  readonly logStart: number;
  /** One past the last replicated record. */
  readonly highWatermark: number;
}

/**
 * Offsets of one partition whose records cannot be on their way to the consumer: those below
 * `below` (the group already went past them, or retention deleted them) and those at or above
 * `atOrAbove` (the log was truncated below them: acks = all means an acknowledged record sat
 * below the high watermark, so one at or above it now was lost with a replica).
 */
export interface LostRange {
  readonly topic: string;
  readonly partition: number;
  readonly below: number;
  readonly atOrAbove: number;
}

/**
 * The re-publish rule of the sweeper. A PUBLISHED row whose partition and offset are known is
 * sent again only when its offset falls in its partition's lost range. The consumer commits an
 * offset after the transaction that marks the rows before it CONSUMED, so a row still
 * PUBLISHED below the committed offset was passed over; a row between the committed offset and
 * the high watermark is still waiting for a (slow) consumer and is left alone.
 */
export const lostRanges = (progress: readonly PartitionProgress[]): LostRange[] =>
  progress.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    below: Math.max(p.committed ?? 0, p.logStart),
    atOrAbove: p.highWatermark,
  }));

/** Whether a row published at `position` of `topic` is lost by these ranges; unknown partitions count as not lost. */
export const isLost = (
  ranges: readonly LostRange[],
  row: { topic: string; partition: number; offset: number },
): boolean =>
  ranges.some(
    (r) =>
      r.topic === row.topic && r.partition === row.partition && (row.offset < r.below || row.offset >= r.atOrAbove),
  );
