import { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import type { AppConfig } from '../../config';
import { ormOptions } from './orm-options';

/** Opens a short-lived ORM for schema work (creating the database when missing) and closes it. */
export const withMigrator = async <T>(
  db: AppConfig['db'],
  work: (migrator: Migrator, orm: MikroORM) => Promise<T>,
): Promise<T> => {
  const orm = await MikroORM.init({ ...ormOptions(db), ensureDatabase: true, logger: () => undefined });
  try {
    return await work(orm.getMigrator() as Migrator, orm);
  } finally {
    await orm.close(true);
  }
};

export const migrateUp = (db: AppConfig['db']) =>
  withMigrator(db, async (migrator) => (await migrator.up()).map((m) => m.name));

/** True when the entities describe a schema the applied migrations do not produce. */
export const migrationNeeded = (db: AppConfig['db']) => withMigrator(db, (migrator) => migrator.checkMigrationNeeded());
