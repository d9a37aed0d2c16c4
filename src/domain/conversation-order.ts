import { groupBy } from './group-by';

/** A claim candidate with the seq of the PENDING row just ahead of it in its conversation (null when none is). */
export interface OrderedCandidate {
  aggregateId: string;
  aggregateSeq: number;
  prevPendingSeq: number | null;
}

/**
 * The candidates that can be published now without overtaking an earlier message of their
 * conversation: those whose every PENDING predecessor is itself a candidate that can go.
 * Following each candidate's link to the PENDING row just ahead of it is exact: the chain back
 * to the conversation's first PENDING row either stays inside the batch, or leaves it at a row
 * that is backing off, leased, or locked by another claimer, and from there on everything of
 * that conversation waits. Order of the input is kept.
 */
export const inConversationOrder = <T extends OrderedCandidate>(candidates: readonly T[]): T[] => {
  const free = new Set<T>();
  for (const group of groupBy(candidates, (c) => c.aggregateId).values()) {
    // Lowest seq first, so a candidate's predecessor is decided before it.
    const freeSeqs = new Set<number>();
    for (const candidate of [...group].sort((a, b) => a.aggregateSeq - b.aggregateSeq)) {
      if (candidate.prevPendingSeq === null || freeSeqs.has(candidate.prevPendingSeq)) {
        freeSeqs.add(candidate.aggregateSeq);
        free.add(candidate);
      }
    }
  }
  return candidates.filter((candidate) => free.has(candidate));
};
