import { Migration } from '@mikro-orm/migrations';

/**
 * The columns the relay and the consumer rewrite on every row (status, the claim stamp, the
 * publish and consume stamps, the log position) keep one size for the row's whole life, so
 * InnoDB updates them in place. A NULL takes no bytes in the record and a VARCHAR takes its
 * value's: each stamp grew or shrank the record, and InnoDB then deletes and re-inserts it in
 * its page, splitting full pages (rows are inserted densely, in id order). CHAR(N) in utf8mb4
 * reserves N bytes, so the values used here (ASCII, at most N) never change the record's size.
 * The status is an ENUM: one byte, in the row and in both indexes that lead with or hold it
 * (each status change rewrites an entry in each), compared as the same strings as before.
 * "None" is a value instead of NULL: '' for the claim's owner and token, the epoch for a time
 * (always before now, so an unclaimed row is one whose claim expired), -1 for a log position.
 * The three times have no column default (an INSERT names them; the entity does): MySQL 8 and
 * MariaDB report a DATETIME literal default differently (unquoted and quoted), so MikroORM's
 * schema check would see a difference on one of them whichever way the entity spelled it.
 * 40,000 rows through the three updates in 1,000-row batches: MariaDB's CPU 2.5–3.0 s with the
 * old columns, 0.7–0.8 s with these (bench/README.md, seventh round).
 */
const NEVER = `'1970-01-01 00:00:00.000'`;
/** The statuses as they were when this migration was written (a later one appends new ones). */
const STATUSES = `'PENDING', 'PUBLISHED', 'CONSUMED', 'DEAD', 'DISCARDED'`;

export class OutboxFixedWidthMigration20261207150000 extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table `outbox_messages` modify `kafka_partition` int null, modify `kafka_offset` bigint null;');
    this.addSql(
      `update \`outbox_messages\` set \`claim_owner\` = coalesce(\`claim_owner\`, ''), \`claim_token\` = coalesce(\`claim_token\`, ''), \`claim_expires_at\` = coalesce(\`claim_expires_at\`, ${NEVER}), \`published_at\` = coalesce(\`published_at\`, ${NEVER}), \`consumed_at\` = coalesce(\`consumed_at\`, ${NEVER}), \`kafka_partition\` = coalesce(\`kafka_partition\`, -1), \`kafka_offset\` = coalesce(\`kafka_offset\`, -1);`,
    );
    this.addSql(
      `alter table \`outbox_messages\` modify \`status\` enum(${STATUSES}) not null, modify \`claim_owner\` char(100) not null default '', modify \`claim_token\` char(36) not null default '', modify \`claim_expires_at\` datetime(3) not null, modify \`published_at\` datetime(3) not null, modify \`consumed_at\` datetime(3) not null, modify \`kafka_partition\` int not null default -1, modify \`kafka_offset\` bigint not null default -1;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'alter table `outbox_messages` modify `status` varchar(16) not null, modify `claim_owner` varchar(100) null, modify `claim_token` char(36) null, modify `claim_expires_at` datetime(3) null, modify `published_at` datetime(3) null, modify `consumed_at` datetime(3) null, modify `kafka_partition` int null, modify `kafka_offset` bigint null;',
    );
    this.addSql(
      `update \`outbox_messages\` set \`claim_owner\` = nullif(\`claim_owner\`, ''), \`claim_token\` = nullif(\`claim_token\`, ''), \`claim_expires_at\` = nullif(\`claim_expires_at\`, ${NEVER}), \`published_at\` = nullif(\`published_at\`, ${NEVER}), \`consumed_at\` = nullif(\`consumed_at\`, ${NEVER}), \`kafka_partition\` = nullif(\`kafka_partition\`, -1), \`kafka_offset\` = nullif(\`kafka_offset\`, -1);`,
    );
    this.addSql(
      'alter table `outbox_messages` modify `kafka_partition` int unsigned null, modify `kafka_offset` bigint unsigned null;',
    );
  }
}
