/**
 * The outbox for any MikroORM application: register `outboxEntity` and a
 * `createOutboxCommitSubscriber(() => waker.wake())` with the ORM, then call
 * `enqueueOutbox(em, event)` inside your own unit of work. Rows reach Kafka through the same
 * relay, retries and consumer as the chat path's.
 */
export { enqueueOutbox } from './enqueue-outbox';
export { createOutboxCommitSubscriber } from './outbox-commit.subscriber';
export { OutboxMessageSchema as outboxEntity } from '../entities/outbox-message.entity';
