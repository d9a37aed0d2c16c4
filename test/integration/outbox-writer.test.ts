import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/infra/db/create-database';
import { createMikroUnitOfWork } from '../../src/infra/db/repositories/mikro-unit-of-work';
import { aChatMessage } from '../support/builders';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

/** The writer's SQL against the real database, on MariaDB's one-statement path and on the MySQL fallback. */
describe('outbox writer (MikroORM unit of work)', () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await createPipelineFixture();
  });
  afterAll(() => f.close());

  it('runs every pooled session at READ COMMITTED, so no transaction has to ask for it', async () => {
    const [row] = await f.database.fork().execute<{ level: string }[]>('SELECT @@SESSION.tx_isolation AS level');
    expect(row?.level).toBe('READ-COMMITTED');
  });

  describe.each([
    ['MariaDB, INSERT … RETURNING', (db: Database) => db],
    ['MySQL fallback, upsert then read', (db: Database): Database => ({ ...db, driver: 'mysql' })],
  ])('%s', (_name, asDriver) => {
    const reserve = (input: { id: string; userId: string; count: number }) =>
      createMikroUnitOfWork(asDriver(f.database)).run((tx) => tx.reserveSeqs({ ...input, now: new Date() }));

    it('creates the conversation on first use and hands out consecutive numbers after that', async () => {
      const id = randomUUID();
      await expect(reserve({ id, userId: 'u1', count: 3 })).resolves.toEqual({ firstSeq: 1, created: true });
      await expect(reserve({ id, userId: 'u1', count: 2 })).resolves.toEqual({ firstSeq: 4, created: false });
      const [row] = await f.sql.query<{ user_id: string; last_seq: number }>(
        'SELECT user_id, last_seq FROM conversations WHERE id = ?',
        [id],
      );
      expect(row).toEqual({ user_id: 'u1', last_seq: 5 });
    });

    it("returns null for another user's conversation and changes nothing of it", async () => {
      const id = randomUUID();
      await reserve({ id, userId: 'owner', count: 1 });
      const [before] = await f.sql.query('SELECT user_id, last_seq, updated_at FROM conversations WHERE id = ?', [id]);
      await expect(reserve({ id, userId: 'intruder', count: 4 })).resolves.toBeNull();
      const [after] = await f.sql.query('SELECT user_id, last_seq, updated_at FROM conversations WHERE id = ?', [id]);
      expect(after).toEqual(before);
    });
  });

  it('numbers concurrent appends to one conversation without gaps or repeats', async () => {
    const conversationId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        f.append({
          conversationId,
          userId: 'u1',
          messages: [aChatMessage({ content: `a${i}` }), aChatMessage({ content: `b${i}` })],
        }),
      ),
    );
    const seqs = results.flatMap((r) => r.messages.map((m) => m.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await f.sql.query<{ aggregate_seq: number }>(
      'SELECT aggregate_seq FROM outbox_messages WHERE aggregate_id = ? ORDER BY aggregate_seq',
      [conversationId],
    );
    expect(rows.map((r) => Number(r.aggregate_seq))).toEqual(seqs);
  });
});
