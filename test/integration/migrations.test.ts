import { MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../../src/config';
import { migrateUp, migrationNeeded, withMigrator } from '../../src/infra/db/migrator';
import { ormOptions } from '../../src/infra/db/orm-options';
import { isMariaDbIntrospectionArtifact, schemaDiff } from '../support/schema-diff';
import { testConfig } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';

/**
 * Entities and migrations agree. Through the MariaDB driver, or the MySQL driver on MySQL: the
 * schema generator proposes nothing (migration:check's verdict). Through the MySQL driver on a
 * MariaDB server (npm test's second integration run), its introspection misreads two MariaDB
 * details, so the diff may hold those artifact clauses and nothing else.
 */
const expectSchemaMatchesEntities = async (db: AppConfig['db']) => {
  const diff = await schemaDiff(db);
  if (db.driver === 'mysql' && diff.serverIsMariaDb) {
    expect(diff.clauses.filter((c) => !isMariaDbIntrospectionArtifact(diff.metadata, c))).toEqual([]);
  } else {
    expect(diff.sql.trim()).toBe('');
    await expect(migrationNeeded(db)).resolves.toBe(false);
  }
};

describe('migrations on the real database', () => {
  const { db } = testConfig();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase(db);
  });
  afterAll(() => database.drop());

  it('create the four tables from an empty database', async () => {
    const orm = await MikroORM.init({ ...ormOptions(db), logger: () => undefined });
    try {
      const rows: { TABLE_NAME: string }[] = await orm.em
        .getConnection()
        .execute(
          'select table_name as TABLE_NAME from information_schema.tables where table_schema = ? order by table_name',
          [db.dbName],
        );
      expect(rows.map((row) => row.TABLE_NAME)).toEqual([
        'chat_messages',
        'chat_turns',
        'conversations',
        'mikro_orm_migrations',
        'outbox_messages',
      ]);
    } finally {
      await orm.close(true);
    }
  });

  it('leave nothing for migration:check to add (entities and migrations agree)', async () => {
    await expectSchemaMatchesEntities(db);
  });

  it('are idempotent: a second up applies nothing', async () => {
    await expect(migrateUp(db)).resolves.toEqual([]);
  });

  it('revert and re-apply cleanly', async () => {
    const reverted = await withMigrator(db, async (migrator) => (await migrator.down()).map((m) => m.name));
    expect(reverted).toHaveLength(1);
    await expect(migrateUp(db)).resolves.toHaveLength(1);
    await expectSchemaMatchesEntities(db);
  });

  it("turn a stored row's NULLs into the fixed-width columns' none values (20261207150000), and back on revert", async () => {
    const columns =
      'status, claim_owner, claim_token, claim_expires_at, published_at, consumed_at, kafka_partition, kafka_offset';
    const sql = async <T>(statement: string) => {
      const orm = await MikroORM.init({ ...ormOptions(db), logger: () => undefined });
      try {
        return await orm.em.getConnection().execute<T>(statement);
      } finally {
        await orm.close(true);
      }
    };
    const stored = async () =>
      (await sql<Record<string, unknown>[]>(`SELECT event_id, ${columns} FROM outbox_messages ORDER BY id`)).map(
        (row: Record<string, unknown>) => Object.values(row).map((v) => (v === null ? null : String(v))),
      );
    await withMigrator(db, (migrator) => migrator.down());
    // An unclaimed PENDING row and a PUBLISHED one with its log position, as the old columns held them.
    await sql(
      `INSERT INTO outbox_messages (event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, max_attempts, next_attempt_at, created_at, ${columns})
       VALUES ('e-pending', 'c', 1, 't', 't', '{}', '{}', 5, NOW(3), NOW(3), 'PENDING', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
              ('e-published', 'c', 2, 't', 't', '{}', '{}', 5, NOW(3), NOW(3), 'PUBLISHED', NULL, NULL, NULL, '2026-12-07 10:00:00.123', NULL, 2, 7)`,
    );
    const before = await stored();
    await expect(migrateUp(db)).resolves.toHaveLength(1);
    const epoch = '1970-01-01 00:00:00.000'; // the ORM's connection reads DATETIME as text
    expect(await stored()).toEqual([
      ['e-pending', 'PENDING', '', '', epoch, epoch, epoch, '-1', '-1'],
      ['e-published', 'PUBLISHED', '', '', epoch, '2026-12-07 10:00:00.123', epoch, '2', '7'],
    ]);
    await withMigrator(db, (migrator) => migrator.down());
    expect(await stored()).toEqual(before);
    await migrateUp(db);
  });
});
