import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../src/config';
import { createDatabase, type Database } from '../../src/infra/db/create-database';
import { createSqlHistoryStore } from '../../src/infra/db/repositories/sql-history.store';
import { createSqlOutboxRelayStore } from '../../src/infra/db/repositories/sql-outbox-relay.store';
import { createLogger } from '../../src/infra/logger';
import { createOutboxWriter } from '../../src/wiring/writer.wiring';
import { aChatMessage } from './builders';
import { testConfig } from './test-config';
import { createTestDatabase } from './test-database';
import { openSql, type Sql } from './sql';

/**
 * A migrated database of its own with the real stores on top (the relay's and the consumer's on
 * the batch pool), for integration tests of the pipeline's pieces. `write` appends messages
 * through the real writer.
 */
export const createPipelineFixture = async (overrides: Record<string, string | undefined> = {}) => {
  const config: AppConfig = testConfig(overrides);
  const testDb = await createTestDatabase(config.db);
  const logger = createLogger({ level: (process.env['TEST_LOG_LEVEL'] as 'silent') ?? 'silent' });
  const database: Database = createDatabase(config.db, logger);
  await database.start();
  const sql: Sql = await openSql(config.db);
  let wakes = 0;
  const append = createOutboxWriter(config, { database, waker: { wake: async () => void (wakes += 1) }, logger });
  /** Appends `count` messages to a conversation (new when not given); returns their event ids in seq order. */
  const write = async (count: number, conversationId: string = randomUUID()) => {
    const result = await append({
      conversationId,
      userId: 'user-1',
      messages: Array.from({ length: count }, (_, i) => aChatMessage({ content: `message ${i + 1}` })),
    });
    return { conversationId, eventIds: result.messages.map((m) => m.eventId) };
  };
  const rowsOf = (eventIds: readonly string[]) =>
    sql.query<{
      id: string;
      event_id: string;
      status: string;
      attempts: number;
      last_error: string | null;
      /** '' when unclaimed. */
      claim_token: string;
      next_attempt_at: Date;
    }>(
      `SELECT id, event_id, status, attempts, last_error, claim_token, next_attempt_at FROM outbox_messages WHERE event_id IN (${eventIds.map(() => '?').join(', ')}) ORDER BY id`,
      [...eventIds],
    );
  return {
    config,
    logger,
    database,
    sql,
    store: createSqlOutboxRelayStore(database),
    history: createSqlHistoryStore(database),
    append,
    write,
    rowsOf,
    wakes: () => wakes,
    async close() {
      await sql.close();
      await database.stop();
      await testDb.drop();
    },
  };
};

export type PipelineFixture = Awaited<ReturnType<typeof createPipelineFixture>>;
