import { Migration } from '@mikro-orm/migrations';

export class OutboxDiscardMigration20261128132546 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table \`outbox_messages\` add \`discarded_by\` varchar(64) null, add \`discarded_at\` datetime(3) null, add \`discard_reason\` varchar(500) null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table \`outbox_messages\` drop column \`discarded_by\`, drop column \`discarded_at\`, drop column \`discard_reason\`;`,
    );
  }
}
