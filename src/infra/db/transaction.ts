import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { Database } from './create-database';

const MAX_ATTEMPTS = 5;

const isTransientLockError = (error: unknown) => error instanceof DeadlockException || error instanceof LockWaitTimeoutException;

/**
 * One transaction on a fresh fork, retried when InnoDB picks it as a deadlock victim or a
 * lock wait times out: both roll the whole transaction back, so running it again is safe,
 * and surfacing them would turn a normal outcome of concurrency into an outage.
 * Isolation is READ COMMITTED, set per session when the pool opens a connection (orm-options).
 */
const retryTransient = async <T>(work: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientLockError(error) || attempt >= MAX_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
};

export const inTransaction = <T>(database: Database, work: (em: EntityManager) => Promise<T>): Promise<T> =>
  retryTransient(() => database.fork().transactional((em) => work(em as EntityManager)));

/** One autocommit statement (a single UPDATE or DELETE is atomic on its own); returns rows changed. */
export const runStatement = (database: Database, sql: string, params: readonly unknown[]): Promise<number> =>
  retryTransient(async () => (await database.fork().execute<{ affectedRows: number }>(sql, [...params], 'run')).affectedRows);

/** `?, ?, ?` for an IN list or a VALUES tuple: one per value, or `count` of them. */
export const placeholders = (values: readonly unknown[] | number) =>
  Array.from({ length: typeof values === 'number' ? values : values.length }, () => '?').join(', ');
