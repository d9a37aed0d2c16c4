import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { createDatabase, type Database } from '../../src/infra/db/create-database';
import { affectedRows } from '../../src/infra/db/transaction';
import { createLogger } from '../../src/infra/logger';
import { testConfig } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';
import { openSql, type Sql } from '../support/sql';

/** Runs against whichever driver the URL selects (CI runs this suite through both). */
describe('multi-statement packets on the batch pool', () => {
  const config = testConfig();
  let drop: () => Promise<void>;
  let database: Database;
  let sql: Sql;
  const logged: string[] = [];
  const table = `batch_probe`;

  beforeAll(async () => {
    drop = (await createTestDatabase(config.db)).drop;
    const logger = createLogger(
      { ...config.log, level: 'debug' },
      {},
      { write: (line: string) => void logged.push(line) },
    );
    database = createDatabase({ ...config.db, debug: true }, logger);
    await database.start();
    sql = await openSql(config.db);
    await sql.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(40) NOT NULL)`);
  });
  afterAll(async () => {
    await sql.close();
    await database.stop();
    await drop();
  });
  beforeEach(() => sql.query(`DELETE FROM ${table}`));

  const insert = (id: number, note = `row ${id}`) => ({
    sql: `INSERT INTO ${table} (id, note) VALUES (?, ?)`,
    params: [id, note],
  });
  const ids = async () =>
    (await sql.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => Number(r.id));
  const inTransactionNow = async () => {
    const [row] = (await database.batches().run([{ sql: 'SELECT @@in_transaction AS t', params: [] }])) as [
      { t: number }[],
    ];
    return Number(row![0]!.t);
  };

  it('answers one result per statement, whether one or several are sent', async () => {
    const [one] = await database.batches().run([insert(1)]);
    expect(affectedRows(one)).toBe(1);
    const results = await database
      .batches()
      .run([
        insert(2),
        { sql: `SELECT id, note FROM ${table} WHERE id IN (?, ?) ORDER BY id`, params: [1, 2] },
        { sql: `UPDATE ${table} SET note = ? WHERE id > ?`, params: ['changed', 0] },
      ]);
    expect(results).toHaveLength(3);
    expect(affectedRows(results[0])).toBe(1);
    expect((results[1] as { id: number; note: string }[]).map((r) => [Number(r.id), r.note])).toEqual([
      [1, 'row 1'],
      [2, 'row 2'],
    ]);
    expect(affectedRows(results[2])).toBe(2);
  });

  it('commits a transaction whose packets end with sendAndCommit, and one that returns without it', async () => {
    await database.batches().transaction(async (tx) => {
      await tx.send([insert(1)]);
      await tx.sendAndCommit([insert(2)]);
    });
    await database.batches().transaction((tx) => tx.send([insert(3)]));
    expect(await ids()).toEqual([1, 2, 3]);
    expect(await inTransactionNow()).toBe(0);
  });

  it('rolls back when the work throws, and the connection goes back to the pool outside any transaction', async () => {
    await expect(
      database.batches().transaction(async (tx) => {
        await tx.send([insert(1), insert(2)]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids()).toEqual([]);
    // The pool may hand out the same connection: it must autocommit again.
    await database.batches().run([insert(3)]);
    expect(await ids()).toEqual([3]);
    expect(await inTransactionNow()).toBe(0);
  });

  it('stops a packet at a failing statement, keeps what ran before it, and lets the transaction go on', async () => {
    await sql.query(`INSERT INTO ${table} (id, note) VALUES (5, 'there already')`);
    const outcome = await database.batches().transaction(async (tx) => {
      try {
        await tx.sendAndCommit([insert(4), insert(5), insert(6)]);
        return 'committed';
      } catch (error) {
        // The ORM's own exception class, as em.execute would throw it.
        expect(error).toBeInstanceOf(UniqueConstraintViolationException);
      }
      // Row 4 is in this transaction, row 6 and the COMMIT never ran: nobody else sees row 4 yet.
      expect(await ids()).toEqual([5]);
      await tx.sendAndCommit([insert(7)]);
      return 'recovered';
    });
    expect(outcome).toBe('recovered');
    expect(await ids()).toEqual([4, 5, 7]);
  });

  it('logs each statement of a packet as the ORM logs its own, when debug is on', async () => {
    logged.length = 0;
    await database.batches().run([insert(1), insert(2)]);
    const queries = logged.filter((line) => line.includes('[query]'));
    expect(queries).toHaveLength(2);
    expect(queries[1]).toContain('packet of 2');
  });

  it('leaves multi-statement packets off on the ORM pool that request-facing queries use', async () => {
    await expect(database.fork().execute(`SELECT 1; SELECT 2`)).rejects.toThrow();
    await expect(
      database.batches().run([
        { sql: 'SELECT 1', params: [] },
        { sql: 'SELECT 2', params: [] },
      ]),
    ).resolves.toHaveLength(2);
  });
});
