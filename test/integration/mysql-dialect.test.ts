import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/infra/db/create-database';
import type { Statement } from '../../src/infra/db/sql-batches';
import { envelopeOfRow } from '../support/builders';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

const withScheme = (url: string, scheme: 'mysql' | 'mariadb') => {
  const parsed = new URL(url);
  parsed.protocol = `${scheme}:`;
  return parsed.toString();
};

/**
 * Every statement the database handle sends: MikroORM runs its own through knex (raw SQL
 * included); the relay's and consumer's go through the batch pool (sql-batches.ts), whose one
 * instance per database is wrapped here.
 */
const captureSql = (database: Database) => {
  const sent: string[] = [];
  const knex = (database.orm().em.getConnection() as AbstractSqlConnection).getKnex();
  knex.on('query', (query: { sql: string }) => void sent.push(query.sql));
  const batches = database.batches();
  const note = (statements: readonly Statement[]) => sent.push(...statements.map((s) => s.sql));
  const { run, transaction } = batches;
  batches.run = (statements) => (note(statements), run(statements));
  batches.transaction = (work) =>
    transaction((tx) =>
      work({
        send: (statements) => (note(statements), tx.send(statements)),
        sendAndCommit: (statements) => (note(statements), tx.sendAndCommit(statements)),
      }),
    );
  return sent;
};

/**
 * The chat path's statements per driver, captured while the writer appends (with a turn, and a
 * reply completing it), the relay claims and marks published and records a failure, and the
 * consumer persists a batch. Through mysql:// nothing MariaDB-only (INSERT … RETURNING) may be
 * sent, so the path a MySQL 8 server gets is the one this test runs; through mariadb:// the
 * writer's one-round-trip upsert does use RETURNING, which shows the capture sees it.
 */
describe.each(['mysql', 'mariadb'] as const)('SQL the chat path sends through the %s driver', (scheme) => {
  let f: PipelineFixture;
  let sent: string[];
  beforeAll(async () => {
    f = await createPipelineFixture({ DATABASE_URL: withScheme(process.env['DATABASE_URL'] ?? '', scheme) });
    sent = captureSql(f.database);
  });
  afterAll(() => f.close());

  it(
    scheme === 'mysql' ? 'contains no RETURNING anywhere' : 'uses RETURNING for the seq reservation only',
    async () => {
      expect(f.database.driver).toBe(scheme);
      const conversationId = randomUUID();
      const replyId = randomUUID();
      await f.append({
        conversationId,
        userId: 'u1',
        messages: [{ role: 'user', content: 'hi' }],
        turn: {
          replyId,
          clientMessageId: randomUUID(),
          contentSha256: 'a'.repeat(64),
          model: 'WORKER',
          thinking: false,
        },
      });
      await f.append({
        conversationId,
        userId: 'u1',
        messages: [
          { role: 'assistant', content: 'hello' },
          { role: 'assistant', content: 'again' },
        ],
        completesTurn: replyId,
      });
      const claim = await f.store.claim({
        owner: 'dialect-test',
        batchSize: 10,
        leaseMs: 30_000,
        now: new Date(Date.now() + 1000),
      });
      const [first, second, third] = claim.messages;
      await f.store.markPublished({ token: claim.token, ids: [first!.id, second!.id], now: new Date() });
      await f.store.recordFailures({
        token: claim.token,
        failures: [
          {
            id: third!.id,
            decision: { kind: 'retry', attempts: 1, nextAttemptAt: new Date(Date.now() + 60_000) },
            error: 'broker said no',
          },
        ],
        now: new Date(),
      });
      const envelope = (m: typeof first) => envelopeOfRow(m!);
      await expect(
        f.history.persist({
          events: [
            { envelope: envelope(first), outboxId: first!.id },
            { envelope: envelope(second), outboxId: second!.id },
          ],
          now: new Date(),
        }),
      ).resolves.toMatchObject({ inserted: 2, duplicates: 0 });

      // Each step reached the database: the capture holds the writer's, relay's and consumer's statements.
      expect(sent.filter((s) => /insert into `?outbox_messages/i.test(s))).toHaveLength(2);
      expect(sent.some((s) => /FOR UPDATE SKIP LOCKED/i.test(s))).toBe(true);
      expect(sent.some((s) => /insert (ignore )?into `?chat_messages/i.test(s))).toBe(true);
      const returning = sent.filter((s) => /\bRETURNING\b/i.test(s));
      if (scheme === 'mysql') expect(returning).toEqual([]);
      else
        expect(returning.map((s) => s.split(' ').slice(0, 3).join(' '))).toEqual([
          'INSERT INTO conversations',
          'INSERT INTO conversations',
        ]);
    },
  );
});
