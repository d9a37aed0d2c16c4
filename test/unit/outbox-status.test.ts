import { OUTBOX_STATUSES, transition, type OutboxEvent, type OutboxStatus } from '../../src/domain/outbox-status';

const allowed: [OutboxStatus, OutboxEvent, OutboxStatus][] = [
  ['PENDING', 'PUBLISH_ACK', 'PUBLISHED'],
  ['PENDING', 'PUBLISH_FAILED', 'PENDING'],
  ['PENDING', 'GIVE_UP', 'DEAD'],
  ['PENDING', 'CONSUME', 'CONSUMED'],
  ['PENDING', 'POISON', 'DEAD'],
  ['PUBLISHED', 'POISON', 'DEAD'],
  ['PUBLISHED', 'CONSUME', 'CONSUMED'],
  ['PUBLISHED', 'SWEEP', 'PENDING'],
  ['DEAD', 'REPLAY', 'PENDING'],
  ['DEAD', 'CONSUME', 'CONSUMED'],
  ['DEAD', 'DISCARD', 'DISCARDED'],
];
const events: OutboxEvent[] = [
  'PUBLISH_ACK',
  'PUBLISH_FAILED',
  'GIVE_UP',
  'CONSUME',
  'POISON',
  'SWEEP',
  'REPLAY',
  'DISCARD',
];

describe('outbox state machine', () => {
  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  const forbidden = OUTBOX_STATUSES.flatMap((from) => events.map((event) => [from, event] as const)).filter(
    ([from, event]) => !allowed.some(([f, e]) => f === from && e === event),
  );

  it.each(forbidden)('refuses %s --%s--> with ILLEGAL_TRANSITION', (from, event) => {
    expect(() => transition(from, event)).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });

  it('keeps CONSUMED and DISCARDED final', () => {
    for (const event of events) expect(() => transition('CONSUMED', event)).toThrow();
    for (const event of events) expect(() => transition('DISCARDED', event)).toThrow();
  });
});
