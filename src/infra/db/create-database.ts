import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { AppConfig } from '../../config';
import { AppError } from '../../domain/errors';
import type { RelayWaker } from '../../domain/ports/relay-waker';
import { createStatusTracker, withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { createCommitWakers } from './outbox/commit-wakers';
import { createOutboxCommitSubscriber } from './outbox/outbox-commit.subscriber';
import { ormOptions } from './orm-options';
import { createSqlBatches, type SqlBatches } from './sql-batches';

export interface Database extends Component {
  /** A fresh EntityManager for one request, job or batch; never share one across them. */
  fork(): EntityManager;
  orm(): MikroORM;
  /** Multi-statement packets for the relay's and consumer's fixed SQL (sql-batches.ts), on a pool of their own. */
  batches(): SqlBatches;
  /** Which server dialect the URL selected; MariaDB-only SQL (RETURNING) checks it. */
  readonly driver: AppConfig['db']['driver'];
  /**
   * Wakes `waker` after every commit that inserted outbox rows through this ORM, whoever
   * committed them (the chat writer, or enqueueOutbox in any other unit of work): the unit of
   * work's commit hook, createOutboxCommitSubscriber. Registering one waker twice keeps one.
   * A failed wake-up fails no commit: it is logged and told to `onFailed` (counted).
   */
  wakeOnOutboxCommit(waker: RelayWaker, onFailed?: () => void): void;
}

/** The one MikroORM.init of the process. Migrations run from the CLI, never here. */
export const createDatabase = (db: AppConfig['db'], logger: Logger): Database => {
  const status = createStatusTracker('database', logger);
  let instance: MikroORM | undefined;
  let batches: SqlBatches | undefined;
  const wakers = createCommitWakers(logger);
  const outboxCommitted = createOutboxCommitSubscriber(wakers.wakeAll);
  const orm = () => {
    if (!instance) throw new AppError('SERVICE_UNAVAILABLE', 'database not started');
    return instance;
  };
  return {
    name: 'database',
    driver: db.driver,
    orm,
    fork: () => orm().em.fork() as unknown as EntityManager,
    batches: () => {
      if (!batches) throw new AppError('SERVICE_UNAVAILABLE', 'database not started');
      return batches;
    },
    wakeOnOutboxCommit: (waker, onFailed) => wakers.add(waker, onFailed),
    async start() {
      status.set('starting');
      try {
        instance = await MikroORM.init({
          ...ormOptions(db),
          ensureDatabase: false,
          logger: (message) => logger.debug(message),
          subscribers: [outboxCommitted],
        });
        const check = await instance.checkConnection();
        if (!check.ok) throw new Error(check.reason);
      } catch (error) {
        await instance?.close(true);
        instance = undefined;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `database unreachable at ${new URL(db.url).host}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      // Refuse to run against a schema older than the code: the failure would otherwise surface
      // later as "unknown column" in the middle of a request.
      const pending = await instance.getMigrator().getPendingMigrations();
      if (pending.length > 0) {
        await instance.close(true);
        instance = undefined;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `database ${db.dbName} is missing ${pending.length} migration(s) (${pending.map((m) => m.name).join(', ')}); run npm run migrate`,
        );
      }
      // Its pool opens connections only when the relay or the consumer first sends something.
      batches = createSqlBatches(instance, { poolMax: db.poolMax, logger: db.debug ? logger : undefined });
      status.set('ready');
    },
    async stop() {
      await batches?.close();
      batches = undefined;
      await instance?.close(true);
      instance = undefined;
      status.set('stopped');
    },
    async ready() {
      if (!instance) return false;
      try {
        await withTimeout('database ping', 2000, instance.em.getConnection().execute('select 1'));
        status.set('ready');
        return true;
      } catch (error) {
        status.set('unhealthy', (error as Error).message);
        return false;
      }
    },
  };
};
