import { FAULT_KINDS, planFaults, SHORT_FAULT_KINDS, type FaultRecord } from '../../scripts/chaos/faults';
import { SERVICE_RETURN_BOUND_MS } from '../../scripts/chaos/fault-types';
import { outageTimings } from '../../scripts/chaos/outage-faults';
import { createRng } from '../../scripts/chaos/rng';
import { createLedger, sha256, type Ledger } from '../../scripts/chaos/ledger';
import { checkDeliveryOrder, type DeliveredEvent } from '../../scripts/chaos/readback';
import type { Watch } from '../../scripts/chaos/subscribers';
import {
  BROKER_RETURN_BOUND_MS,
  brokerOutageLine,
  clientRetriesLine,
  repliesLine,
  serviceOutageLine,
  stallFigures,
  stallLine,
  subscribersLine,
  verdictLines,
} from '../../scripts/chaos/verdict-lines';
import { judge, type Evidence, type Verdict } from '../../scripts/chaos/verify';

/**
 * The chaos run's verdict (npm run chaos) is only as good as its checks: each kind of damage
 * it claims to catch must actually fail the verdict. Pure functions, no services.
 */
describe('chaos verdict', () => {
  const A = 'aaaaaaaa-0000-4000-8000-000000000001';
  const B = 'bbbbbbbb-0000-4000-8000-000000000002';
  const row = (c: string, seq: number, content: string, { e = `${c}-${seq}`, role = 'user', p = 0 } = {}) => ({
    c,
    seq,
    role,
    e,
    h: sha256(content),
    p,
  });
  const clean = () => {
    const ledger = createLedger();
    ledger.confirm({ conversationId: A, seq: 1, hash: sha256('one'), source: 'writer' });
    ledger.confirm({ conversationId: A, seq: 2, hash: sha256('two'), source: 'writer' });
    ledger.confirm({ conversationId: B, seq: 1, hash: sha256('hi'), source: 'api' });
    ledger.expectReply({ conversationId: B, afterSeq: 1, hash: sha256('reply to hi') });
    const evidence: { -readonly [K in keyof Evidence]: Evidence[K] } = {
      history: [
        row(A, 1, 'one'),
        row(A, 2, 'two'),
        row(B, 1, 'hi'),
        row(B, 2, 'reply to hi', { e: 'r', role: 'assistant' }),
      ],
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
  const failures = (v: ReturnType<typeof judge>) => ({
    lost: v.lost.length,
    duplicated: v.duplicated.length,
    inversions: v.inversions.length,
    unexplained: v.unexplainedRows.length,
    anomalies: v.anomalies.length,
  });
  const none = { lost: 0, duplicated: 0, inversions: 0, unexplained: 0, anomalies: 0 };

  it('passes when history holds every ledgered message once, in place', () => {
    const { ledger, evidence } = clean();
    expect(failures(judge(ledger, evidence, inOrder))).toEqual(none);
  });

  it('counts a missing message, changed content and a gap as lost', () => {
    const { ledger, evidence } = clean();
    evidence.history = [row(A, 1, 'ONE'), row(B, 1, 'hi'), row(B, 2, 'reply to hi', { e: 'r', role: 'assistant' })];
    const verdict = judge(ledger, evidence, inOrder);
    expect(verdict.lost).toHaveLength(2); // A#1 other content, A#2 missing (and a gap, counted once)
    expect(verdict.anomalies.length).toBeGreaterThan(0); // 'ONE' matches nothing written; counter drift
  });

  it('counts a missing reply as lost and a reply before its message as an inversion', () => {
    const { ledger, evidence } = clean();
    evidence.history = [
      row(A, 1, 'one'),
      row(A, 2, 'two'),
      row(B, 1, 'reply to hi', { e: 'r', role: 'assistant' }),
      row(B, 2, 'hi'),
    ];
    expect(failures(judge(ledger, evidence, inOrder))).toMatchObject({ lost: 1, inversions: 1 }); // B#1 holds other content; the reply sits before it
    evidence.history = evidence.history.filter((r) => r.role !== 'assistant');
    expect(judge(ledger, evidence, inOrder).lost.some((l) => l.includes('reply'))).toBe(true);
  });

  it('counts a message stored twice as duplicated', () => {
    const { ledger, evidence } = clean();
    evidence.history.push(row(A, 3, 'two', { e: 'copy' }));
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
    evidence.notConsumed = [
      { id: 7, aggregate_id: A, aggregate_seq: 2, status: 'DEAD', attempts: 3, last_error: 'poison' },
      { id: 8, aggregate_id: B, aggregate_seq: 3, status: 'PENDING', attempts: 0, last_error: null },
    ];
    const verdict = judge(ledger, evidence, inOrder);
    expect(verdict.unexplainedRows).toHaveLength(1);
    expect(verdict.deadRows).toHaveLength(1);
    expect(verdict.lost[0]).toContain('DEAD: poison');
  });

  describe('Kafka first-delivery order', () => {
    const event = (seq: number, offset: number, eventId = `e${seq}`, partition = 0): DeliveredEvent => ({
      partition,
      offset: BigInt(offset),
      conversationId: A,
      seq,
      eventId,
      timestamp: offset,
    });

    it('accepts redeliveries of earlier events', () => {
      expect(checkDeliveryOrder([event(1, 0), event(2, 1), event(1, 2), event(2, 3), event(3, 4)])).toEqual({
        inversions: [],
        redeliveries: 2,
        conflicts: [],
        splitConversations: [],
      });
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

describe('chaos verdict lines for the long faults', () => {
  const C = 'cccccccc-0000-4000-8000-000000000003';
  const history = (rows: { seq: number; content: string; role?: string; p?: number }[]) =>
    rows.map((r) => ({ c: C, seq: r.seq, role: r.role ?? 'user', e: `e${r.seq}`, h: sha256(r.content), p: r.p ?? 0 }));
  const fault = (over: Partial<FaultRecord>): FaultRecord => ({
    kind: 'broker-outage',
    at: 1_000,
    endedAt: 21_000,
    detail: '',
    downMs: 20_000,
    ...over,
  });
  const verdictWith = (over: Partial<Verdict> = {}): Verdict => ({
    lost: [],
    duplicated: [],
    inversions: [],
    unexplainedRows: [],
    deadRows: [],
    anomalies: [],
    stats: { historyRows: 0, confirmed: 0, replies: 0, unsure: 0, unsureCommitted: 0, redeliveries: 0 },
    ...over,
  });
  const ackedSend = (ledger: Ledger, seq: number, content: string, attempts = 1) => {
    ledger.recordSend({
      clientMessageId: `id-${seq}`,
      conversationId: C,
      hash: sha256(content),
      attempts,
      acknowledged: true,
    });
    ledger.confirm({ conversationId: C, seq, hash: sha256(content), source: 'api' });
    ledger.expectReply({ conversationId: C, afterSeq: seq, hash: sha256(`reply ${content}`) });
  };

  describe('broker outage', () => {
    it('passes with no DEAD row, nothing lost or reordered and history whole within the bound', () => {
      expect(brokerOutageLine(fault({ historyCompleteMs: 4_000 }), verdictWith()).pass).toBe(true);
    });

    it('leaves a reply that was never generated to the reply-kill line', () => {
      const neverGenerated = verdictWith({
        lost: [`${C}#reply-after-37: assistant reply to seq 37 missing from history`],
      });
      expect(brokerOutageLine(fault({ historyCompleteMs: 4_000 }), neverGenerated).pass).toBe(true);
    });

    it('fails on a DEAD row, a loss, an inversion, or history completed late or never', () => {
      const ok = fault({ historyCompleteMs: 4_000 });
      expect(brokerOutageLine(ok, verdictWith({ deadRows: ['outbox 1 DEAD'] })).pass).toBe(false);
      expect(brokerOutageLine(ok, verdictWith({ lost: ['x'] })).pass).toBe(false);
      expect(brokerOutageLine(ok, verdictWith({ inversions: ['x'] })).pass).toBe(false);
      expect(
        brokerOutageLine(ok, verdictWith({ lost: [`${C}#3: gap: committed seq missing from history`] })).pass,
      ).toBe(false);
      expect(brokerOutageLine(fault({ historyCompleteMs: BROKER_RETURN_BOUND_MS + 1 }), verdictWith()).pass).toBe(
        false,
      );
      expect(brokerOutageLine(fault({ historyCompleteMs: null }), verdictWith()).figure).toContain('never');
    });
  });

  describe('database and Redis outages', () => {
    it('counts failed calls inside the window and fails on a crash there or history never complete', () => {
      const ledger = createLedger();
      ledger.unsure({ conversationId: C, hashes: ['h'], optional: [], error: 'refused', at: 5_000 });
      ledger.unsure({ conversationId: C, hashes: ['h2'], optional: [], error: 'refused', at: 500_000 });
      const outage = fault({ kind: 'db-outage', historyCompleteMs: 2_000 });
      const line = serviceOutageLine(outage, { ledger, exits: [] });
      expect(line).toMatchObject({ pass: true });
      expect(line.figure).toContain('1 call(s) failed');
      const crash = { service: 'consumer', code: 1, signal: null, at: 10_000, logTail: '', graceful: false };
      expect(serviceOutageLine(outage, { ledger, exits: [crash] }).pass).toBe(false);
      expect(serviceOutageLine(outage, { ledger, exits: [{ ...crash, at: 900_000 }] }).pass).toBe(true);
      expect(
        serviceOutageLine(fault({ kind: 'redis-outage', historyCompleteMs: null }), { ledger, exits: [] }).pass,
      ).toBe(false);
      // A call failing after the next fault began is that fault's.
      expect(serviceOutageLine(outage, { ledger, exits: [], nextFaultAt: 4_000 }).figure).toContain('0 call(s) failed');
    });

    it('fails when history completes later than 60 s after the restore, and says the bound', () => {
      const ledger = createLedger();
      const within = serviceOutageLine(fault({ kind: 'redis-outage', historyCompleteMs: SERVICE_RETURN_BOUND_MS }), {
        ledger,
        exits: [],
      });
      expect(within).toMatchObject({ pass: true, figure: expect.stringContaining('after the restore (bound 60 s)') });
      const late = fault({ kind: 'redis-outage', historyCompleteMs: SERVICE_RETURN_BOUND_MS + 1 });
      expect(serviceOutageLine(late, { ledger, exits: [] }).pass).toBe(false);
      expect(serviceOutageLine({ ...late, kind: 'db-outage' }, { ledger, exits: [] }).pass).toBe(false);
    });

    it("judges against the scenario's own bound when it sets one", () => {
      const ledger = createLedger();
      const outage = fault({ kind: 'db-outage', historyCompleteMs: 15_000 });
      expect(serviceOutageLine(outage, { ledger, exits: [], boundMs: 10_000 })).toMatchObject({
        pass: false,
        figure: expect.stringContaining('(bound 10 s)'),
      });
      expect(serviceOutageLine(outage, { ledger, exits: [], boundMs: 20_000 }).pass).toBe(true);
      // Both scenarios set 60 s, and verdictLines hands the scenario's bound to both lines.
      expect([outageTimings(true), outageTimings(false)].map((t) => t.serviceReturnBoundMs)).toEqual([
        SERVICE_RETURN_BOUND_MS,
        SERVICE_RETURN_BOUND_MS,
      ]);
      const lines = verdictLines({
        verdict: verdictWith(),
        ledger,
        evidence: { history: [] },
        records: [],
        faults: [outage, { ...outage, kind: 'redis-outage' }],
        watches: [],
        clientMessageId: true,
        unexpectedExits: [],
        settled: true,
        serviceReturnBoundMs: 10_000,
      });
      expect(lines.filter((l) => l.fault.startsWith('db-outage') || l.fault.startsWith('redis-outage'))).toEqual([
        expect.objectContaining({ pass: false, figure: expect.stringContaining('(bound 10 s)') }),
        expect.objectContaining({ pass: false, figure: expect.stringContaining('(bound 10 s)') }),
      ]);
    });
  });

  describe('client retries', () => {
    it('passes when every retried send is stored once', () => {
      const ledger = createLedger();
      ackedSend(ledger, 1, 'hello', 3);
      const line = clientRetriesLine(ledger, { history: history([{ seq: 1, content: 'hello' }]) }, true);
      expect(line.pass).toBe(true);
      expect(line.figure).toContain('1 retried (2 retries)');
    });

    it('fails on a send stored twice, on IDEMPOTENCY_CONFLICT, and when the schema has no key', () => {
      const ledger = createLedger();
      ackedSend(ledger, 1, 'hello', 2);
      const twice = history([
        { seq: 1, content: 'hello' },
        { seq: 2, content: 'hello' },
      ]);
      expect(clientRetriesLine(ledger, { history: twice }, true)).toMatchObject({
        pass: false,
        figure: expect.stringContaining('duplicates 1'),
      });
      const once = history([{ seq: 1, content: 'hello' }]);
      expect(clientRetriesLine(ledger, { history: once }, false).pass).toBe(false);
      ledger.recordSend({
        clientMessageId: 'id-x',
        conversationId: C,
        hash: sha256('other'),
        attempts: 2,
        acknowledged: false,
        lastCode: 'IDEMPOTENCY_CONFLICT',
      });
      expect(clientRetriesLine(ledger, { history: once }, true).pass).toBe(false);
    });

    it('does not count an assistant reply quoting the same text as a duplicate send', () => {
      const ledger = createLedger();
      ackedSend(ledger, 1, 'hello');
      expect(
        clientRetriesLine(
          ledger,
          {
            history: history([
              { seq: 1, content: 'hello' },
              { seq: 2, content: 'hello', role: 'assistant' },
            ]),
          },
          true,
        ).pass,
      ).toBe(true);
    });
  });

  describe('replies after a generator kill', () => {
    const kill = fault({ kind: 'reply-kill', midStream: true });

    it('passes when each acknowledged send has exactly one assistant message', () => {
      const ledger = createLedger();
      ackedSend(ledger, 1, 'one');
      ackedSend(ledger, 3, 'two');
      const rows = history([
        { seq: 1, content: 'one' },
        { seq: 2, content: 'reply one', role: 'assistant' },
        { seq: 3, content: 'two' },
        { seq: 4, content: 'reply two', role: 'assistant' },
      ]);
      expect(repliesLine(ledger, { history: rows }, [kill])).toMatchObject({
        pass: true,
        fault: 'reply-kill ×1 (1 mid-stream)',
      });
    });

    it('fails on a missing reply, a reply stored twice, a partial left beside it, or no kill at all', () => {
      const ledger = createLedger();
      ackedSend(ledger, 1, 'one');
      const base = history([
        { seq: 1, content: 'one' },
        { seq: 2, content: 'reply one', role: 'assistant' },
      ]);
      expect(repliesLine(ledger, { history: base.slice(0, 1) }, [kill]).figure).toContain('1 with none');
      expect(repliesLine(ledger, { history: base.slice(0, 1) }, [kill]).figure).toContain(`reply to ${C}#1: none`);
      expect(
        repliesLine(ledger, { history: [...base, ...history([{ seq: 3, content: 'reply one', role: 'assistant' }])] }, [
          kill,
        ]).figure,
      ).toContain('1 with more than one');
      const partial = [...base, ...history([{ seq: 3, content: 'reply o', role: 'assistant', p: 1 }])];
      expect(repliesLine(ledger, { history: partial }, [kill])).toMatchObject({
        pass: false,
        figure: expect.stringContaining('(1 partial)'),
      });
      expect(repliesLine(ledger, { history: base }, []).pass).toBe(false);
      expect(repliesLine(ledger, { history: base }, [fault({ kind: 'reply-kill', midStream: false })]).pass).toBe(
        false,
      );
    });
  });

  describe('subscribers', () => {
    const watch = (end: Watch['end']): Watch => ({
      conversationId: C,
      replyId: 'r',
      startedAt: 1,
      tokens: 3,
      restarts: 0,
      resubscribes: 0,
      lastEventAt: 2,
      ...(end ? { end } : {}),
    });

    it('passes when every subscriber saw ReplyCompleted or ReplyFailed', () => {
      expect(subscribersLine([watch('ReplyCompleted'), watch('ReplyFailed')]).pass).toBe(true);
      expect(subscribersLine([watch('ReplyCompleted'), watch('REPLY_EXPIRED')])).toMatchObject({
        pass: true,
        figure: expect.stringContaining('1 told REPLY_EXPIRED'),
      });
    });

    it('fails on a subscriber that never saw an end, and when nobody subscribed', () => {
      expect(subscribersLine([watch('ReplyCompleted'), watch('none')]).figure).toContain('1 never did');
      expect(subscribersLine([watch('ReplyCompleted'), watch('none')]).pass).toBe(false);
      expect(subscribersLine([]).pass).toBe(false);
    });
  });

  describe('consumer stall', () => {
    const record = (eventId: string, timestamp: number, offset: number): DeliveredEvent => ({
      partition: 0,
      offset: BigInt(offset),
      conversationId: C,
      seq: 1,
      eventId,
      timestamp,
    });
    const stall = {
      from: 100,
      thawAt: 200,
      caughtUpAt: 250,
      published: [
        { eventId: 'a', seenAt: 120 },
        { eventId: 'b', seenAt: 190 },
      ],
    };

    it('counts no copy and no loss when every record went out once before the stall', () => {
      expect(stallFigures(stall, [record('a', 90, 0), record('b', 150, 1)])).toEqual({ copies: 0, reallyLost: 0 });
      expect(stallLine(fault({ kind: 'consumer-stall', stall }), [record('a', 90, 0), record('b', 150, 1)]).pass).toBe(
        true,
      );
    });

    it('counts a copy re-published in the window and fails when nothing was really lost', () => {
      const records = [record('a', 90, 0), record('b', 150, 1), record('a', 180, 2)];
      expect(stallFigures(stall, records)).toEqual({ copies: 1, reallyLost: 0 });
      expect(stallLine(fault({ kind: 'consumer-stall', stall }), records).pass).toBe(false);
    });

    it('lets a copy of a row that really was lost pass, and ignores copies outside the window', () => {
      // 'b' was PUBLISHED at 190 but no record of it existed before then: lost; its copy is due.
      const records = [record('a', 90, 0), record('b', 220, 1), record('a', 400, 2)];
      expect(stallFigures(stall, records)).toEqual({ copies: 0, reallyLost: 1 });
      const withCopy = [record('a', 90, 0), record('b', 195, 1), record('b', 230, 2)];
      expect(stallFigures({ ...stall, published: [{ eventId: 'b', seenAt: 150 }] }, withCopy)).toEqual({
        copies: 1,
        reallyLost: 1,
      });
    });

    it('fails when the consumer never caught up or the stall was not measured', () => {
      expect(stallLine(fault({ kind: 'consumer-stall', stall: { ...stall, caughtUpAt: null } }), []).pass).toBe(false);
      expect(stallLine(fault({ kind: 'consumer-stall' }), []).pass).toBe(false);
    });
  });

  it('lists every fault line, and a line for a fault that did not run fails', () => {
    const ledger = createLedger();
    const lines = verdictLines({
      verdict: verdictWith(),
      ledger,
      evidence: { history: [] },
      records: [],
      faults: [],
      watches: [],
      clientMessageId: true,
      unexpectedExits: [],
      settled: true,
    });
    expect(lines.filter((l) => !l.pass).map((l) => l.fault)).toEqual([
      'broker-outage',
      'db-outage',
      'redis-outage',
      'reply-kill ×0 (0 mid-stream)',
      'reply-kill subscribers',
      'consumer-stall',
    ]);
    expect(lines.filter((l) => l.fault === 'all').every((l) => l.pass)).toBe(true);
  });
});

describe('chaos fault plan', () => {
  it("runs every kind once in a quick run, and only short kinds as the long run's extras", () => {
    const quick = planFaults(createRng(7), 60_000, true);
    expect(quick.map((f) => f.kind).sort()).toEqual([...FAULT_KINDS].sort());
    const long = planFaults(createRng(7), 600_000, false);
    expect(long).toHaveLength(FAULT_KINDS.length + 10);
    const extras = long.slice(FAULT_KINDS.length).map((f) => f.kind);
    expect(extras.every((k) => (SHORT_FAULT_KINDS as readonly string[]).includes(k))).toBe(true);
  });

  it('is the same plan for the same seed', () => {
    expect(planFaults(createRng(42), 60_000, true)).toEqual(planFaults(createRng(42), 60_000, true));
  });
});
