import { randomUUID } from 'node:crypto';
import type { OutboxMessage } from '../../src/domain/outbox-message';
import type { PublishFailure } from '../../src/domain/ports/event-publisher';
import { planRelayOutcome } from '../../src/domain/relay-outcome';
import type { RetryPolicy } from '../../src/domain/retry-policy';
import { anOutboxMessage } from '../support/builders';

const policy: RetryPolicy = { baseMs: 1_000, capMs: 60_000 };
const now = new Date('2030-01-01T00:00:00.000Z');
const context = { policy, now, random: () => 1 };
const transient: PublishFailure = { error: 'request timed out', permanent: false };

/** Rows 1..n of one conversation, in sequence order. */
const conversation = (n: number, overrides: Partial<OutboxMessage> = {}) => {
  const aggregateId = randomUUID();
  return Array.from({ length: n }, (_, i) => anOutboxMessage({ aggregateId, aggregateSeq: i + 1, ...overrides }));
};
/** The publisher's answer: the given rows failed, every other row was acknowledged. */
const failing =
  (...entries: [OutboxMessage, PublishFailure][]) =>
  (rows: readonly OutboxMessage[]) => {
    const failures = new Map(entries.map(([m, f]) => [m.id, f]));
    return {
      failures,
      acknowledged: new Map(rows.filter((r) => !failures.has(r.id)).map((r, i) => [r.id, { partition: 0, offset: i }])),
    };
  };
const plan = (rows: readonly OutboxMessage[], answer: ReturnType<typeof failing>) =>
  planRelayOutcome(rows, answer(rows), context);
const ids = (messages: readonly OutboxMessage[]) => messages.map((m) => m.id);

describe('planRelayOutcome', () => {
  it('marks every acknowledged row published', () => {
    const rows = [...conversation(2), ...conversation(1)];
    const outcome = plan(rows, failing());
    expect({ ...outcome, published: [...outcome.published].sort() }).toEqual({
      published: ids(rows).sort(),
      failures: [],
      heldBack: [],
      unsent: [],
    });
  });

  it('charges the failed attempt to the first failed row of a conversation', () => {
    const [first, second, third] = conversation(3);
    const outcome = plan([first!, second!, third!], failing([second!, transient], [third!, transient]));
    expect(outcome.published).toEqual([first!.id]);
    expect(outcome.failures).toEqual([
      {
        id: second!.id,
        error: 'request timed out',
        decision: { kind: 'retry', attempts: 1, nextAttemptAt: new Date(now.getTime() + 1_000) },
      },
    ]);
  });

  it('holds back later rows of a failed conversation without counting an attempt, even if acknowledged', () => {
    const [first, second, third] = conversation(3);
    const outcome = plan([first!, second!, third!], failing([first!, transient]));
    expect(outcome.heldBack).toEqual([second!.id, third!.id]);
    expect(outcome.published).toEqual([]);
  });

  it("leaves other conversations unaffected by one conversation's failure", () => {
    const broken = conversation(2);
    const healthy = conversation(2);
    const outcome = plan([...broken, ...healthy], failing([broken[0]!, transient], [broken[1]!, transient]));
    expect([...outcome.published].sort()).toEqual(ids(healthy).sort());
    expect(outcome.failures.map((f) => f.id)).toEqual([broken[0]!.id]);
    expect(outcome.heldBack).toEqual([broken[1]!.id]);
  });

  it('orders each conversation by aggregateSeq, not by input order', () => {
    const [first, second] = conversation(2);
    const outcome = plan([second!, first!, ...conversation(1)], failing([first!, transient], [second!, transient]));
    expect(outcome.failures.map((f) => f.id)).toEqual([first!.id]);
    expect(outcome.heldBack).toEqual([second!.id]);
  });

  it('decides DEAD for a permanent failure and keeps its error', () => {
    const [row] = conversation(1);
    const outcome = plan([row!], failing([row!, { error: 'MESSAGE_TOO_LARGE', permanent: true }]));
    expect(outcome.failures).toEqual([
      { id: row!.id, error: 'MESSAGE_TOO_LARGE', decision: { kind: 'dead', attempts: 1 } },
    ]);
  });

  it('decides DEAD when the row has spent its attempts', () => {
    const [row] = conversation(1, { attempts: 4, maxAttempts: 5 });
    const outcome = plan([row!, ...conversation(1)], failing([row!, transient]));
    expect(outcome.failures[0]?.decision).toEqual({ kind: 'dead', attempts: 5 });
  });

  describe('an unclassified failure (not record-level, not a known outage)', () => {
    it('blames no row when the broker acknowledged none of the round: all go back untouched, the round counts as an outage', () => {
      const a = conversation(2);
      const b = conversation(1);
      const outcome = plan(
        [...a, ...b],
        failing(
          [a[0]!, { error: 'KafkaJSError: something new', permanent: false }],
          [a[1]!, transient],
          [b[0]!, transient],
        ),
      );
      expect({ ...outcome, unsent: [...outcome.unsent].sort() }).toEqual({
        published: [],
        failures: [],
        heldBack: [],
        unsent: ids([...a, ...b]).sort(),
        unavailable: expect.stringContaining('no record of the round was acknowledged'),
      });
    });

    it('does so for a round of one row too: a row alone never pays an attempt for an unexplained error', () => {
      const [row] = conversation(1, { attempts: 4, maxAttempts: 5 });
      const outcome = plan([row!], failing([row!, transient]));
      expect(outcome).toEqual({
        published: [],
        failures: [],
        heldBack: [],
        unsent: [row!.id],
        unavailable: 'no record of the round was acknowledged: request timed out',
      });
    });

    it("is the row's own when the broker acknowledged other rows of the same round: it pays an attempt", () => {
      const [odd] = conversation(1);
      const healthy = conversation(1);
      const outcome = plan([odd!, ...healthy], failing([odd!, transient]));
      expect(outcome.published).toEqual(ids(healthy));
      expect(outcome.failures.map((f) => [f.id, f.decision.kind])).toEqual([[odd!.id, 'retry']]);
      expect(outcome.unavailable).toBeUndefined();
    });

    it("leaves a record-level failure the row's own (DEAD) even when nothing was acknowledged", () => {
      const [tooLarge] = conversation(1);
      const [other] = conversation(1);
      const outcome = plan(
        [tooLarge!, other!],
        failing([tooLarge!, { error: 'MESSAGE_TOO_LARGE', permanent: true }], [other!, transient]),
      );
      expect(outcome.failures).toEqual([
        { id: tooLarge!.id, error: 'MESSAGE_TOO_LARGE', decision: { kind: 'dead', attempts: 1 } },
      ]);
      expect(outcome.unsent).toEqual([other!.id]);
      expect(outcome.unavailable).toBe('no record of the round was acknowledged: request timed out');
    });

    it("keeps the publisher's own outage reason", () => {
      const [row] = conversation(1);
      const outcome = planRelayOutcome(
        [row!],
        { acknowledged: new Map(), failures: new Map(), unavailable: 'KafkaJSConnectionError: ECONNREFUSED' },
        context,
      );
      expect(outcome).toEqual({
        published: [],
        failures: [],
        heldBack: [],
        unsent: [row!.id],
        unavailable: 'KafkaJSConnectionError: ECONNREFUSED',
      });
    });
  });

  it('gives back, untouched, the rows the broker never took, and the rest of their conversations', () => {
    const [taken, notTaken, after] = conversation(3);
    const other = conversation(1);
    const rows = [taken!, notTaken!, after!, ...other];
    const outcome = planRelayOutcome(
      rows,
      { acknowledged: new Map([[taken!.id, { partition: 1, offset: 7 }]]), failures: new Map() },
      context,
    );
    expect({ ...outcome, unsent: [...outcome.unsent].sort() }).toEqual({
      published: [taken!.id],
      failures: [],
      heldBack: [],
      unsent: [notTaken!.id, after!.id, other[0]!.id].sort(),
    });
  });
});
