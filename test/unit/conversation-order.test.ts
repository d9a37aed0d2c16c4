import { inConversationOrder, type OrderedCandidate } from '../../src/domain/conversation-order';

const row = (aggregateId: string, aggregateSeq: number, prevPendingSeq: number | null): OrderedCandidate => ({
  aggregateId,
  aggregateSeq,
  prevPendingSeq,
});
const seqs = (rows: OrderedCandidate[]) => rows.map((r) => `${r.aggregateId}${r.aggregateSeq}`);

describe('inConversationOrder', () => {
  it('lets a conversation go when its first PENDING row is in the batch and the chain is unbroken', () => {
    const batch = [row('a', 1, null), row('a', 2, 1), row('b', 7, null), row('a', 3, 2)];
    expect(seqs(inConversationOrder(batch))).toEqual(['a1', 'a2', 'b7', 'a3']);
  });

  it('holds back every row behind a PENDING row the batch does not hold (backing off, leased or locked elsewhere)', () => {
    // a1 is PENDING outside the batch: a2 and a3 must wait, b is unaffected.
    const batch = [row('a', 2, 1), row('a', 3, 2), row('b', 1, null)];
    expect(seqs(inConversationOrder(batch))).toEqual(['b1']);
  });

  it('stops at a gap in the middle of the chain (another claimer holds a3)', () => {
    const batch = [row('a', 1, null), row('a', 2, 1), row('a', 4, 3), row('a', 5, 4)];
    expect(seqs(inConversationOrder(batch))).toEqual(['a1', 'a2']);
  });

  it('follows links over seqs that are no longer PENDING (delivered or dead rows leave gaps in seq)', () => {
    const batch = [row('a', 5, null), row('a', 9, 5)];
    expect(seqs(inConversationOrder(batch))).toEqual(['a5', 'a9']);
  });

  it('decides a row by its predecessor whatever order the batch lists them in', () => {
    const batch = [row('a', 3, 2), row('a', 2, 1), row('a', 1, null)];
    expect(seqs(inConversationOrder(batch))).toEqual(['a3', 'a2', 'a1']);
  });

  it('returns nothing for an empty batch', () => {
    expect(inConversationOrder([])).toEqual([]);
  });
});
