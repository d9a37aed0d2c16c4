import type { EntityManager } from '@mikro-orm/core';
import type { NewOutboxMessage } from '../../../domain/outbox-message';
import { OutboxMessageEntity } from '../entities/outbox-message.entity';

/**
 * Enlists one outbox event in the caller's unit of work: the row is persisted in `em` and
 * inserted by that EntityManager's next flush, so it commits or rolls back with whatever else the
 * caller changes in the same transaction (`em.transactional(...)`, or a plain `em.flush()`).
 * The relay picks it up like any other row (same claim, retries, DEAD handling and consumer);
 * with `createOutboxCommitSubscriber` registered, the commit also wakes the relay.
 *
 * The event's (aggregateId, aggregateSeq) is the caller's: the relay publishes one aggregate's
 * rows in seq order and the consumer deduplicates on eventId.
 */
export const enqueueOutbox = (em: EntityManager, event: NewOutboxMessage): OutboxMessageEntity => {
  const row = Object.assign(new OutboxMessageEntity(), {
    eventId: event.eventId,
    aggregateId: event.aggregateId,
    aggregateSeq: event.aggregateSeq,
    eventType: event.eventType,
    topic: event.topic,
    payload: { ...event.payload },
    headers: { ...event.headers },
    status: 'PENDING' as const,
    attempts: 0,
    maxAttempts: event.maxAttempts,
    nextAttemptAt: event.createdAt,
    createdAt: event.createdAt,
  });
  em.persist(row);
  return row;
};
