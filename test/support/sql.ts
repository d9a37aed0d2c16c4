import { MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../../src/config';
import { ormOptions } from '../../src/infra/db/orm-options';

/** A plain connection to a test database, for arranging rows and asserting on them. */
export const openSql = async (db: AppConfig['db']) => {
  const orm = await MikroORM.init({ ...ormOptions(db), ensureDatabase: false, logger: () => undefined });
  const connection = orm.em.getConnection();
  return {
    query: async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
      (await connection.execute(sql, params)) as unknown as T[],
    run: async (sql: string, params: unknown[] = []) =>
      (await connection.execute<{ affectedRows: number }>(sql, params, 'run')).affectedRows,
    close: () => orm.close(true),
  };
};

export type Sql = Awaited<ReturnType<typeof openSql>>;
