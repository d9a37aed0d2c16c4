import { MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../../src/config';
import { migrateUp } from '../../src/infra/db/migrator';
import { ormOptions } from '../../src/infra/db/orm-options';

/** Creates and migrates the config's own database; drop() removes it. */
export const createTestDatabase = async (db: AppConfig['db']) => {
  await migrateUp(db);
  return {
    async drop() {
      const orm = await MikroORM.init({ ...ormOptions(db), ensureDatabase: false, logger: () => undefined });
      try {
        await orm.em.getConnection().execute(`drop database if exists \`${db.dbName}\``);
      } finally {
        await orm.close(true);
      }
    },
  };
};
