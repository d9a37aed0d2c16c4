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
const failing = (...entries: [OutboxMessage, PublishFailure][]) => new Map(entries.map(([m, f]) => [m.id, f]));
const ids = (messages: readonly OutboxMessage[]) => messages.map((m) => m.id);

describe('planRelayOutcome', () => {
  it('marks every acknowledged row published', () => {
    const rows = [...conversation(2), ...conversation(1)];
    const plan = planRelayOutcome(rows, new Map(), context);
    expect({ ...plan, published: [...plan.published].sort() }).toEqual({ published: ids(rows).sort(), failures: [], heldBack: [] });
  });

  it('charges the failed attempt to the first failed row of a conversation', () => {
    const [first, second, third] = conversation(3);
    const plan = planRelayOutcome([first!, second!, third!], failing([second!, transient], [third!, transient]), context);
    expect(plan.published).toEqual([first!.id]);
    expect(plan.failures).toEqual([{ id: second!.id, error: 'request timed out', decision: { kind: 'retry', attempts: 1, nextAttemptAt: new Date(now.getTime() + 1_000) } }]);
  });

  it('holds back later rows of a failed conversation without counting an attempt, even if acknowledged', () => {
    const [first, second, third] = conversation(3);
    const plan = planRelayOutcome([first!, second!, third!], failing([first!, transient]), context);
    expect(plan.heldBack).toEqual([second!.id, third!.id]);
    expect(plan.published).toEqual([]);
  });

  it('leaves other conversations unaffected by one conversation\'s failure', () => {
    const broken = conversation(2);
    const healthy = conversation(2);
    const plan = planRelayOutcome([...broken, ...healthy], failing([broken[0]!, transient], [broken[1]!, transient]), context);
    expect([...plan.published].sort()).toEqual(ids(healthy).sort());
    expect(plan.failures.map((f) => f.id)).toEqual([broken[0]!.id]);
    expect(plan.heldBack).toEqual([broken[1]!.id]);
  });

  it('orders each conversation by aggregateSeq, not by input order', () => {
    const [first, second] = conversation(2);
    const plan = planRelayOutcome([second!, first!], failing([first!, transient], [second!, transient]), context);
    expect(plan.failures.map((f) => f.id)).toEqual([first!.id]);
    expect(plan.heldBack).toEqual([second!.id]);
  });

  it('decides DEAD for a permanent failure and keeps its error', () => {
    const [row] = conversation(1);
    const plan = planRelayOutcome([row!], failing([row!, { error: 'MESSAGE_TOO_LARGE', permanent: true }]), context);
    expect(plan.failures).toEqual([{ id: row!.id, error: 'MESSAGE_TOO_LARGE', decision: { kind: 'dead', attempts: 1 } }]);
  });

  it('decides DEAD when the row has spent its attempts', () => {
    const [row] = conversation(1, { attempts: 4, maxAttempts: 5 });
    const plan = planRelayOutcome([row!], failing([row!, transient]), context);
    expect(plan.failures[0]?.decision).toEqual({ kind: 'dead', attempts: 5 });
  });
});
