/**
 * The outbox for any MikroORM application: register `outboxEntity` and a
 * `createOutboxCommitSubscriber(wakers.wakeAll)` with the ORM (`createCommitWakers`: wake-ups
 * not awaited, failures logged and counted, never an unhandled rejection), then call
 * `enqueueOutbox(em, event)` inside your own unit of work. Rows reach Kafka through the same
 * relay, retries and consumer as the chat path's.
 */
export { enqueueOutbox } from './enqueue-outbox';
export { createCommitWakers } from './commit-wakers';
export { createOutboxCommitSubscriber } from './outbox-commit.subscriber';
export { OutboxMessageSchema as outboxEntity } from '../entities/outbox-message.entity';
