import { randomUUID } from 'node:crypto';
import { createAppendChatMessages, type AppendChatMessages } from '../application/append-chat-messages.use-case';
import type { AppConfig } from '../config';
import { systemClock } from '../domain/ports/clock';
import type { Logger } from '../domain/ports/logger';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { Database } from '../infra/db/create-database';
import { createMikroUnitOfWork } from '../infra/db/repositories/mikro-unit-of-work';
import { traceWriter } from '../infra/tracing/outbox-spans';
import { NOOP_TRACER, type Tracer } from '../domain/ports/tracer';

/**
 * The outbox writer as every caller wires it: the real unit of work, the configured topic and
 * attempts, traced when tracing is on; the unit of work's commit hook wakes the relay
 * (Database.wakeOnOutboxCommit), and a failed wake-up is told to `onWakeFailed` (counted).
 */
export const createOutboxWriter = (
  config: AppConfig,
  deps: { database: Database; waker: RelayWaker; logger: Logger; tracer?: Tracer; onWakeFailed?: () => void },
): AppendChatMessages => {
  deps.database.wakeOnOutboxCommit(deps.waker, deps.onWakeFailed);
  return traceWriter(
    deps.tracer ?? NOOP_TRACER,
    createAppendChatMessages({
      uow: createMikroUnitOfWork(deps.database),
      clock: systemClock,
      ids: { uuid: randomUUID },
      outbox: { topic: config.kafka.topic, maxAttempts: config.relay.maxAttempts },
    }),
  );
};
