import { createLedger, sha256 } from '../../scripts/chaos/ledger';
import { checkDeliveryOrder, type DeliveredEvent } from '../../scripts/chaos/readback';
import { judge, type Evidence } from '../../scripts/chaos/verify';

/**
 * The chaos run's verdict (npm run chaos) is only as good as its checks: each kind of damage
 * it claims to catch must actually fail the verdict. Pure functions, no services.
 */
describe('chaos verdict', () => {
  const A = 'aaaaaaaa-0000-4000-8000-000000000001';
  const B = 'bbbbbbbb-0000-4000-8000-000000000002';
  const row = (c: string, seq: number, content: string, e = `${c}-${seq}`, role = 'user') => ({ c, seq, role, e, h: sha256(content) });
  const clean = () => {
    const ledger = createLedger();
    ledger.confirm({ conversationId: A, seq: 1, hash: sha256('one'), source: 'writer' });
    ledger.confirm({ conversationId: A, seq: 2, hash: sha256('two'), source: 'writer' });
    ledger.confirm({ conversationId: B, seq: 1, hash: sha256('hi'), source: 'api' });
    ledger.expectReply({ conversationId: B, afterSeq: 1, hash: sha256('reply to hi') });
    const evidence: { -readonly [K in keyof Evidence]: Evidence[K] } = {
      history: [row(A, 1, 'one'), row(A, 2, 'two'), row(B, 1, 'hi'), row(B, 2, 'reply to hi', 'r', 'assistant')],
      notConsumed: [],
      consumedWithoutHistory: [],
      conversations: [
        { id: A, last_seq: 2, message_count: 2 },
        { id: B, last_seq: 2, message_count: 2 },
      ],
    };
    return { ledger, evidence };
  };
  const inOrder = { inversions: [], redeliveries: 0, conflicts: [], splitConversations: [] };
  const failures = (v: ReturnType<typeof judge>) => ({ lost: v.lost.length, duplicated: v.duplicated.length, inversions: v.inversions.length, unexplained: v.unexplainedRows.length, anomalies: v.anomalies.length });
  const none = { lost: 0, duplicated: 0, inversions: 0, unexplained: 0, anomalies: 0 };

  it('passes when history holds every ledgered message once, in place', () => {
    const { ledger, evidence } = clean();
    expect(failures(judge(ledger, evidence, inOrder))).toEqual(none);
  });

  it('counts a missing message, changed content and a gap as lost', () => {
    const { ledger, evidence } = clean();
    evidence.history = [row(A, 1, 'ONE'), row(B, 1, 'hi'), row(B, 2, 'reply to hi', 'r', 'assistant')];
    const verdict = judge(ledger, evidence, inOrder);
    expect(verdict.lost).toHaveLength(2); // A#1 other content, A#2 missing (and a gap, counted once)
    expect(verdict.anomalies.length).toBeGreaterThan(0); // 'ONE' matches nothing written; counter drift
  });

  it('counts a missing reply as lost and a reply before its message as an inversion', () => {
    const { ledger, evidence } = clean();
    evidence.history = [row(A, 1, 'one'), row(A, 2, 'two'), row(B, 1, 'reply to hi', 'r', 'assistant'), row(B, 2, 'hi')];
    expect(failures(judge(ledger, evidence, inOrder))).toMatchObject({ lost: 1, inversions: 1 }); // B#1 holds other content; the reply sits before it
    evidence.history = evidence.history.filter((r) => r.role !== 'assistant');
    expect(judge(ledger, evidence, inOrder).lost.some((l) => l.includes('reply'))).toBe(true);
  });

  it('counts a message stored twice as duplicated', () => {
    const { ledger, evidence } = clean();
    evidence.history.push(row(A, 3, 'two', 'copy'));
    evidence.conversations[0] = { id: A, last_seq: 3, message_count: 3 };
    expect(failures(judge(ledger, evidence, inOrder)).duplicated).toBe(1);
  });

  it('requires an unsure transaction to be in history all or none', () => {
    const { ledger, evidence } = clean();
    ledger.unsure({ conversationId: A, hashes: [sha256('x'), sha256('y')], optional: [], error: 'killed' });
    expect(failures(judge(ledger, evidence, inOrder))).toEqual(none);
    evidence.history.push(row(A, 3, 'x'));
    evidence.conversations[0] = { id: A, last_seq: 4, message_count: 3 };
    expect(judge(ledger, evidence, inOrder).lost.some((l) => l.includes('only 1 of 2'))).toBe(true);
  });

  it('lists rows left PENDING or PUBLISHED as unexplained and DEAD rows with their error', () => {
    const { ledger, evidence } = clean();
    evidence.history = evidence.history.filter((r) => !(r.c === A && r.seq === 2));
    evidence.notConsumed = [{ id: 7, aggregate_id: A, aggregate_seq: 2, status: 'DEAD', attempts: 3, last_error: 'poison' }, { id: 8, aggregate_id: B, aggregate_seq: 3, status: 'PENDING', attempts: 0, last_error: null }];
    const verdict = judge(ledger, evidence, inOrder);
    expect(verdict.unexplainedRows).toHaveLength(1);
    expect(verdict.deadRows).toHaveLength(1);
    expect(verdict.lost[0]).toContain('DEAD: poison');
  });

  describe('Kafka first-delivery order', () => {
    const event = (seq: number, offset: number, eventId = `e${seq}`, partition = 0): DeliveredEvent => ({ partition, offset: BigInt(offset), conversationId: A, seq, eventId });

    it('accepts redeliveries of earlier events', () => {
      expect(checkDeliveryOrder([event(1, 0), event(2, 1), event(1, 2), event(2, 3), event(3, 4)])).toEqual({ inversions: [], redeliveries: 2, conflicts: [], splitConversations: [] });
    });

    it('counts a later seq delivered first as an inversion, by offset not by arrival', () => {
      expect(checkDeliveryOrder([event(1, 0), event(3, 1), event(2, 2)]).inversions).toHaveLength(1);
      expect(checkDeliveryOrder([event(2, 1), event(1, 0)]).inversions).toHaveLength(0);
    });

    it('flags one seq published under two event ids, and a conversation on two partitions', () => {
      const report = checkDeliveryOrder([event(1, 0), event(1, 1, 'other'), event(2, 0, 'e2', 1)]);
      expect(report.conflicts).toHaveLength(1);
      expect(report.splitConversations).toEqual([A]);
    });
  });
});
