import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { AppConfig } from '../../src/config';
import { ormOptions } from '../../src/tooling';

export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A write; returns the affected-row count. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface Sql extends SqlRunner {
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const runner = (execute: EntityManager['execute']): SqlRunner => ({
  query: async <T>(sql: string, params: readonly unknown[] = []) => (await execute(sql, [...params])) as unknown as T[],
  run: async (sql, params = []) => (await execute<{ affectedRows: number }>(sql, [...params], 'run')).affectedRows,
});

/** A plain pool on one database for the harness's own SQL (baselines, counts, EXPLAIN). */
export const openSql = async (db: AppConfig['db'], poolMax = 4): Promise<Sql> => {
  const orm = await MikroORM.init({
    ...ormOptions({ ...db, poolMax, debug: false }),
    ensureDatabase: false,
    logger: () => undefined,
  });
  const em = () => orm.em.fork() as unknown as EntityManager;
  const root = em();
  return {
    ...runner(root.execute.bind(root)),
    transaction: (work) => em().transactional((tx) => work(runner((tx as unknown as EntityManager).execute.bind(tx)))),
    close: () => orm.close(true),
  };
};

/** Counts outbox rows per status. */
export const outboxCounts = async (sql: SqlRunner) => {
  const rows = await sql.query<{ status: string; n: number | bigint }>(
    'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status',
  );
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)])) as Record<string, number>;
};

/** InnoDB row-lock waits and time waited (ms) so far, server-wide. */
export const rowLockStatus = async (sql: SqlRunner) => {
  const rows = await sql.query<{ Variable_name: string; Value: string }>(
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_deadlocks')",
  );
  const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? Number.NaN);
  return {
    waits: value('Innodb_row_lock_waits'),
    waitMs: value('Innodb_row_lock_time'),
    deadlocks: value('Innodb_deadlocks'),
  };
};

/** MariaDB's global statement counter (all sessions on the server). */
export const globalQuestions = async (sql: SqlRunner) => {
  const [row] = await sql.query<{ Value: string }>("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number(row?.Value ?? Number.NaN);
};
