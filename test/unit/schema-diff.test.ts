import { MikroORM } from '@mikro-orm/core';
import { ormOptions } from '../../src/infra/db/orm-options';
import { isMariaDbIntrospectionArtifact, splitClauses } from '../support/schema-diff';
import { testConfig } from '../support/test-config';

/**
 * The filter the MySQL-driver run of the migrations test relies on: it must let through exactly
 * the clauses MariaDB's introspection produces (seen in a real run) and reject real differences.
 * Metadata comes from the real entities, discovered without connecting.
 */
describe('MariaDB introspection artifacts under the MySQL driver', () => {
  let metadata: Parameters<typeof isMariaDbIntrospectionArtifact>[0];
  beforeAll(async () => {
    const orm = await MikroORM.init({
      ...ormOptions(testConfig({ DATABASE_URL: 'mysql://root@127.0.0.1:1/x' }).db),
      connect: false,
      logger: () => undefined,
    });
    metadata = orm.getMetadata().getAll();
    await orm.close(true);
  });
  const artifact = (sql: string) => splitClauses(sql).map((c) => isMariaDbIntrospectionArtifact(metadata, c));

  it('accepts what the real run reported (nullable columns re-stated, JSON check constraints, empty-string defaults)', () => {
    const observed = [
      'alter table `chat_messages` modify `model` varchar(100);',
      'alter table `chat_turns` modify `client_message_id` char(36), modify `traceparent` varchar(55);',
      'alter table `outbox_messages` drop constraint headers;',
      'alter table `outbox_messages` modify `payload` json not null, modify `headers` json not null, modify `last_error` varchar(1000);',
      "alter table `outbox_messages` modify `claim_owner` char(100) not null default '', modify `claim_token` char(36) not null default '';",
    ].join('\n');
    expect(artifact(observed)).toEqual(Array(9).fill(true));
  });

  it('rejects real differences: a changed length or nullability, a new column or index, an unknown table', () => {
    expect(artifact('alter table `chat_messages` modify `model` varchar(50);')).toEqual([false]);
    expect(artifact('alter table `chat_turns` modify `client_message_id` char(36) not null;')).toEqual([false]);
    expect(artifact('alter table `conversations` modify `last_seq` int unsigned not null default 0;')).toEqual([false]);
    expect(artifact('alter table `outbox_messages` add `shard` int null;')).toEqual([false]);
    expect(artifact('alter table `outbox_messages` add index `outbox_x_idx`(`topic`);')).toEqual([false]);
    expect(artifact('alter table `outbox_messages` drop constraint claim_owner;')).toEqual([false]);
    expect(artifact("alter table `outbox_messages` modify `claim_owner` char(64) not null default '';")).toEqual([
      false,
    ]);
    expect(artifact("alter table `outbox_messages` modify `claim_owner` char(100) null default '';")).toEqual([false]);
    expect(artifact("alter table `outbox_messages` modify `event_id` char(36) not null default '';")).toEqual([false]);
    expect(artifact('alter table `elsewhere` modify `model` varchar(100);')).toEqual([false]);
    expect(artifact('create table `extra` (`id` int);')).toEqual([false]);
  });
});
