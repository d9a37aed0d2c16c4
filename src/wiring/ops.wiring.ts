import { createDiscardOutboxMessage } from '../application/ops/discard-outbox-message.use-case';
import { createGetOutboxMessage } from '../application/ops/get-outbox-message.use-case';
import { createListOutboxMessages } from '../application/ops/list-outbox-messages.use-case';
import { createOutboxStats } from '../application/ops/outbox-stats.use-case';
import {
  createReplayOutboxMessage,
  createReplayOutboxMessages,
} from '../application/ops/replay-outbox-messages.use-case';
import { systemClock } from '../domain/ports/clock';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { Database } from '../infra/db/create-database';
import { createMikroOutboxAdminStore } from '../infra/db/repositories/mikro-outbox-admin.store';
import type { Logger } from '../infra/logger';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRedisPublishingStatusReader } from '../infra/redis/redis-publishing-status';

/** Ops use cases over the outbox, shared by the GraphQL API and the `npm run outbox` CLI. */
export const opsUseCases = (deps: {
  database: Database;
  waker: RelayWaker;
  logger: Logger;
  redis: RedisClients;
  prefix: string;
}) => {
  const store = createMikroOutboxAdminStore(deps.database);
  const clock = systemClock;
  return {
    list: createListOutboxMessages({ store }),
    get: createGetOutboxMessage({ store }),
    stats: createOutboxStats({
      store,
      publishing: createRedisPublishingStatusReader({ client: deps.redis.client(), prefix: deps.prefix }),
      clock,
    }),
    replay: createReplayOutboxMessage({ store, waker: deps.waker, clock, logger: deps.logger }),
    replayMany: createReplayOutboxMessages({ store, waker: deps.waker, clock, logger: deps.logger }),
    discard: createDiscardOutboxMessage({ store, clock, logger: deps.logger }),
  };
};

export type OpsUseCases = ReturnType<typeof opsUseCases>;
