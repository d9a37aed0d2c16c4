import { Migration } from '@mikro-orm/migrations';

export class ChatTurnsMigration20261206182834 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`chat_turns\` (\`reply_id\` char(36) not null, \`user_id\` varchar(64) not null, \`conversation_id\` char(36) not null, \`client_message_id\` char(36) null, \`user_message_id\` char(36) not null, \`user_seq\` int unsigned not null, \`content_sha256\` char(64) not null, \`model\` varchar(16) not null, \`thinking\` tinyint(1) not null, \`traceparent\` varchar(55) null, \`status\` varchar(16) not null, \`created_at\` datetime(3) not null, \`replied_at\` datetime(3) null, primary key (\`reply_id\`)) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(`alter table \`chat_turns\` add index \`chat_turns_status_created_idx\`(\`status\`, \`created_at\`);`);
    this.addSql(
      `alter table \`chat_turns\` add unique \`chat_turns_user_client_uq\`(\`user_id\`, \`client_message_id\`);`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`chat_turns\`;`);
  }
}
