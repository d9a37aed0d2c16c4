import { Migration } from '@mikro-orm/migrations';

/** Where the broker put each published row, so the sweeper re-publishes only records that are really lost. */
export class OutboxLogPositionMigration20261206183000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table \`outbox_messages\` add \`kafka_partition\` int unsigned null, add \`kafka_offset\` bigint unsigned null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table \`outbox_messages\` drop column \`kafka_partition\`, drop column \`kafka_offset\`;`);
  }
}
