import { DeadlockException, LockWaitTimeoutException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { retry } from '../../application/retry';
import type { AttemptPolicy } from '../../domain/retry-policy';
import { systemScheduler } from '../system-scheduler';
import type { Database } from './create-database';
import type { BatchTransaction, Statement } from './sql-batches';

/** Five tries, a few tens of milliseconds apart at random, so the two victims of one deadlock do not meet again. */
const LOCK_RETRY: AttemptPolicy = { baseMs: 20, capMs: 80, jitter: 'full', maxAttempts: 5 };

const isTransientLockError = (error: unknown) =>
  error instanceof DeadlockException || error instanceof LockWaitTimeoutException;

/**
 * One transaction on a fresh fork, retried when InnoDB picks it as a deadlock victim or a
 * lock wait times out: both roll the whole transaction back, so running it again is safe,
 * and surfacing them would turn a normal outcome of concurrency into an outage.
 * Isolation is READ COMMITTED, set per session when the pool opens a connection (orm-options).
 */
const retryTransient = <T>(work: () => Promise<T>): Promise<T> =>
  retry(work, { policy: LOCK_RETRY, scheduler: systemScheduler, isRetryable: isTransientLockError });

export const inTransaction = <T>(database: Database, work: (em: EntityManager) => Promise<T>): Promise<T> =>
  retryTransient(() => database.fork().transactional((em) => work(em as EntityManager)));

/** One autocommit statement (a single UPDATE or DELETE is atomic on its own); returns rows changed. */
export const runStatement = (database: Database, sql: string, params: readonly unknown[]): Promise<number> =>
  retryTransient(
    async () => (await database.fork().execute<{ affectedRows: number }>(sql, [...params], 'run')).affectedRows,
  );

/** `?, ?, ?` for an IN list or a VALUES tuple: one per value, or `count` of them. */
export const placeholders = (values: readonly unknown[] | number) =>
  Array.from({ length: typeof values === 'number' ? values : values.length }, () => '?').join(', ');

/** Rows a statement changed, from either driver's result of an INSERT, UPDATE or DELETE. */
export const affectedRows = (result: unknown) => (result as { affectedRows: number }).affectedRows;

/**
 * `runStatement` on the batch pool (sql-batches.ts). One statement only: a retried packet of
 * several autocommit statements would run again those that had already committed.
 */
export const runBatchStatement = async (database: Database, statement: Statement): Promise<number> =>
  affectedRows((await retryTransient(() => database.batches().run([statement])))[0]);

/** `inTransaction` on the batch pool: the work sends its statements a packet at a time. */
export const inBatchTransaction = <T>(database: Database, work: (tx: BatchTransaction) => Promise<T>): Promise<T> =>
  retryTransient(() => database.batches().transaction(work));
