import type { EntityMetadata, MikroORM } from '@mikro-orm/core';
import type { AppConfig } from '../../src/config';
import { withMigrator } from '../../src/infra/db/migrator';

/** One clause of an `alter table` the schema generator proposes, with its table. */
export interface DiffClause {
  readonly table: string;
  readonly clause: string;
}

/** What the schema generator would change to make the live schema match the entities. */
export const schemaDiff = (db: AppConfig['db']) =>
  withMigrator(db, async (_migrator, orm) => {
    const sql = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    const [row] = await orm.em.getConnection().execute<{ version: string }[]>('SELECT VERSION() AS version');
    return {
      sql,
      clauses: splitClauses(sql),
      serverIsMariaDb: /mariadb/i.test(row?.version ?? ''),
      metadata: metadataOf(orm),
    };
  });

const metadataOf = (orm: MikroORM) => orm.getMetadata().getAll() as Record<string, EntityMetadata>;

/** `alter table \`t\` a, b;` → one entry per clause (the generator emits nothing else here). */
export const splitClauses = (sql: string): DiffClause[] =>
  sql
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .flatMap((statement) => {
      const match = /^alter table `([^`]+)` ([\s\S]+)$/.exec(statement);
      if (!match) return [{ table: '?', clause: statement }];
      const [, table = '', rest = ''] = match;
      return rest.split(/, (?=modify|drop|add|change|alter)/).map((clause) => ({ table, clause: clause.trim() }));
    });

/**
 * Whether a clause is one of the two things the MySQL driver's introspection misreads on a MariaDB
 * server, i.e. it would "change" a column to exactly what it already is:
 * - a nullable column without a default, re-stated as `modify \`c\` <its declared type>` (MariaDB
 *   reports such a column's default as the literal NULL, which the MySQL driver takes for a default);
 * - a JSON column: MariaDB implements `json` as longtext with a CHECK (json_valid(c)) constraint
 *   named after the column, so the generator proposes `drop constraint c` and `modify \`c\` json not null`;
 * - a string column whose default is the empty string, re-stated as `modify \`c\` <its declared
 *   type> not null default ''` (MariaDB reports that default quoted, as the two characters '').
 * Anything else (a missing column or index, a changed type, length, nullability or default) is a
 * real difference between entities and migrations.
 */
export const isMariaDbIntrospectionArtifact = (
  metadata: Record<string, EntityMetadata>,
  { table, clause }: DiffClause,
) => {
  const meta = Object.values(metadata).find((m) => m.tableName === table);
  if (!meta) return false;
  const props = Object.values(meta.properties);
  const column = (name: string) => props.find((p) => p.fieldNames?.[0] === name);
  const isJson = (prop: ReturnType<typeof column>) => prop?.columnTypes?.[0] === 'json';
  const dropCheck = /^drop constraint `?([a-z_]+)`?$/.exec(clause);
  if (dropCheck) return isJson(column(dropCheck[1] ?? ''));
  const modify = /^modify `([a-z_]+)` (.+)$/.exec(clause);
  if (!modify) return false;
  const prop = column(modify[1] ?? '');
  if (!prop) return false;
  const declared = modify[2] ?? '';
  if (isJson(prop)) return !prop.nullable && declared === 'json not null';
  if (prop.default === '') return !prop.nullable && declared === `${prop.columnTypes?.[0]} not null default ''`;
  return Boolean(prop.nullable) && prop.default === undefined && declared === prop.columnTypes?.[0];
};
