import type { Options } from '@mikro-orm/core';
import { MariaDbDriver } from '@mikro-orm/mariadb';
import { Migrator } from '@mikro-orm/migrations';
import { MySqlDriver } from '@mikro-orm/mysql';
import path from 'node:path';
import type { AppConfig } from '../../config';
import { entities } from './entities';
import { migrationsList } from './migrations/index';

/**
 * READ COMMITTED for the whole session, set once per pooled connection: asking for it per
 * transaction costs one more round trip (`SET TRANSACTION ISOLATION LEVEL`) on every writer,
 * claim and consumer transaction. Under READ COMMITTED locking reads release rows they examined
 * but did not match, so a claim never holds locks on rows it skipped. Both drivers' raw
 * connections (mariadb/callback, mysql2) take `query(sql, callback)`.
 */
export const readCommittedSession = (
  connection: { query: (sql: string, done: (error: Error | null) => void) => void },
  done: (error: Error | null, connection: unknown) => void,
) => {
  connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (error) => done(error, connection));
};

/**
 * MikroORM options for one database config. The driver follows the URL scheme:
 * against MariaDB, the mysql driver returns JSON columns as strings and never diffs
 * clean, so `mariadb://` selects the MariaDB driver.
 */
export const ormOptions = (db: AppConfig['db']): Options => {
  const url = new URL(db.url);
  url.protocol = 'mysql:';
  url.pathname = '/';
  return {
    driver: (db.driver === 'mysql' ? MySqlDriver : MariaDbDriver) as Options['driver'],
    clientUrl: url.toString().replace(/\/$/, ''),
    dbName: db.dbName,
    entities,
    extensions: [Migrator],
    // Every request, job and Kafka batch forks its own EntityManager.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: db.debug,
    pool: { min: 0, max: db.poolMax, afterCreate: readCommittedSession },
    discovery: { warnWhenNoEntities: true },
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: path.join(__dirname, 'migrations'),
      pathTs: path.join(__dirname, 'migrations'),
      migrationsList,
      // MySQL/MariaDB commit DDL implicitly; a wrapping transaction would only pretend.
      transactional: false,
      // Diff against the live schema, not a snapshot file, so migration:check proves
      // the committed migrations produce exactly what the entities describe.
      snapshot: false,
      emit: 'ts',
      fileName: (timestamp, name) => `${timestamp}-${name ?? 'migration'}.migration`,
    },
  };
};
