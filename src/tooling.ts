/**
 * The public entry for the tools beside the product (bench/, scripts/, tools/kit): the adapters
 * and factories they may use (and the services' config parser), re-exported from one place.
 * Tools never import a path under src/infra (a dependency-cruiser rule says so), so adapters can
 * be moved or split without touching the bench, the chaos run or the build scripts, and this file
 * lists what they rely on. Like src/app.ts and src/wiring, it only re-exports: no logic lives here.
 */
export { mintToken } from './infra/auth/jwt';
// The services' variables with the app's defaults and rules (tools/kit/tool-services.ts).
export { loadServicesEnv } from './config';
export { createDatabase } from './infra/db/create-database';
export { migrateUp } from './infra/db/migrator';
export { ormOptions } from './infra/db/orm-options';
export { placeholders } from './infra/db/transaction';
export {
  candidateParams,
  CANDIDATES_SQL,
  createSqlOutboxRelayStore,
} from './infra/db/repositories/sql-outbox-relay.store';
export { createSqlHistoryStore } from './infra/db/repositories/sql-history.store';
export { CHAT_MESSAGE_INSERT_COLUMNS, toChatMessageValues } from './infra/db/tables/chat-messages.table';
export {
  toOutboxMessage,
  OUTBOX_COLUMNS,
  NO_TIME_SQL,
  CLAIMED_SQL,
  stampSql,
  type OutboxRow,
} from './infra/db/tables/outbox-messages.table';
export { CLEAR_CLAIM } from './infra/db/repositories/sql-guards';
export { bundleWebPages } from './server/web/web-bundle';
export { builtPageFile } from './server/web/web-files';
export { localReply } from './infra/llm/local-chat-model';
export { createTiktokenCounter } from './infra/llm/tiktoken-counter';
export { createLogger } from './infra/logger';
export { createRedis } from './infra/redis/create-redis';
export { createRedisRelayWaker } from './infra/redis/redis-relay-wake';
export { createTracing } from './infra/tracing/create-tracing';
