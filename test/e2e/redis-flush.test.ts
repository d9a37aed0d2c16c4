import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createAppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import { createDatabase, type Database } from '../../src/infra/db/create-database';
import { createMikroUnitOfWork } from '../../src/infra/db/repositories/mikro-unit-of-work';
import { createLogger } from '../../src/infra/logger';
import { aChatMessage } from '../support/builders';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

/** A Redis database index of this file's own, so FLUSHDB cannot touch other tests' queues. */
const redisUrlWithDb = (db: number) => {
  const url = new URL(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  return url.toString();
};

describe('relay with its Redis state flushed', () => {
  const redisUrl = redisUrlWithDb(9);
  let testApp: TestApp;
  let sql: Sql;
  let redis: Redis;
  let database: Database;
  let silentWriter: ReturnType<typeof createAppendChatMessages>;

  beforeAll(async () => {
    testApp = await createTestApp({
      REDIS_URL: redisUrl,
      RELAY_POLL_INTERVAL_MS: '200',
      RELAY_SCHEDULER_REFRESH_MS: '300',
    });
    sql = testApp.sql;
    redis = new Redis(redisUrl);
    database = createDatabase(testApp.config.db, createLogger({ level: 'silent' }));
    await database.start();
    silentWriter = createAppendChatMessages({
      uow: createMikroUnitOfWork(database),
      // No waker registered on this database: commits wake nothing.
      clock: systemClock,
      ids: { uuid: randomUUID },
      outbox: { topic: testApp.config.kafka.topic, maxAttempts: 10 },
    });
  });
  afterAll(async () => {
    redis.disconnect();
    await database.stop();
    await testApp.close();
  });

  const statuses = async () =>
    (await sql.query<{ status: string }>('SELECT status FROM outbox_messages')).map((r) => r.status);

  it('recreates its Job Schedulers and still delivers rows that no wake-up announced', async () => {
    await testApp.app.useCases.appendChatMessages({
      conversationId: randomUUID(),
      userId: 'u1',
      messages: [aChatMessage()],
    });
    await eventually(async () => expect(await statuses()).toEqual(['CONSUMED']));
    // FLUSHDB is atomic; what follows proves the app recovers from it (the scheduler comes back on its own).
    await redis.flushdb();
    // A row committed with no wake-up: only the (recreated) scheduled scan can publish it.
    await silentWriter({ conversationId: randomUUID(), userId: 'u1', messages: [aChatMessage()] });
    await eventually(async () => expect(await statuses()).toEqual(['CONSUMED', 'CONSUMED']), { timeoutMs: 20_000 });
    expect((await redis.keys('*')).some((key) => key.includes('outbox-relay-scan'))).toBe(true);
  });
});
