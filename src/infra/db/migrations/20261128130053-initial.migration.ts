import { Migration } from '@mikro-orm/migrations';

export class InitialMigration20261128130053 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`chat_messages\` (\`id\` char(36) not null, \`event_id\` char(36) not null, \`conversation_id\` char(36) not null, \`seq\` int unsigned not null, \`role\` varchar(16) not null, \`content\` mediumtext not null, \`reasoning\` mediumtext null, \`model\` varchar(100) null, \`prompt_tokens\` int unsigned null, \`completion_tokens\` int unsigned null, \`partial\` tinyint(1) not null default false, \`created_at\` datetime(3) not null, \`persisted_at\` datetime(3) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(`alter table \`chat_messages\` add unique \`chat_messages_event_id_uq\`(\`event_id\`);`);
    this.addSql(
      `alter table \`chat_messages\` add unique \`chat_messages_conversation_seq_uq\`(\`conversation_id\`, \`seq\`);`,
    );

    this.addSql(
      `create table \`conversations\` (\`id\` char(36) not null, \`user_id\` varchar(64) not null, \`title\` varchar(200) null, \`last_seq\` int unsigned not null default 0, \`message_count\` int unsigned not null default 0, \`last_message_at\` datetime(3) null, \`created_at\` datetime(3) not null, \`updated_at\` datetime(3) not null, primary key (\`id\`)) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(
      `alter table \`conversations\` add index \`conversations_user_created_idx\`(\`user_id\`, \`created_at\`);`,
    );

    this.addSql(
      `create table \`outbox_messages\` (\`id\` bigint unsigned not null auto_increment primary key, \`event_id\` char(36) not null, \`aggregate_id\` char(36) not null, \`aggregate_seq\` int unsigned not null, \`event_type\` varchar(64) not null, \`topic\` varchar(249) not null, \`payload\` json not null, \`headers\` json not null, \`status\` varchar(16) not null, \`attempts\` int unsigned not null default 0, \`max_attempts\` int unsigned not null, \`next_attempt_at\` datetime(3) not null, \`claim_owner\` varchar(100) null, \`claim_expires_at\` datetime(3) null, \`claim_token\` char(36) null, \`last_error\` varchar(1000) null, \`created_at\` datetime(3) not null, \`published_at\` datetime(3) null, \`consumed_at\` datetime(3) null, \`dead_at\` datetime(3) null, \`replayed_by\` varchar(64) null, \`replayed_at\` datetime(3) null, \`replay_reason\` varchar(500) null) default character set utf8mb4 engine = InnoDB;`,
    );
    this.addSql(`alter table \`outbox_messages\` add index \`outbox_claim_idx\`(\`status\`, \`id\`);`);
    this.addSql(
      `alter table \`outbox_messages\` add index \`outbox_aggregate_status_seq_idx\`(\`aggregate_id\`, \`status\`, \`aggregate_seq\`);`,
    );
    this.addSql(`alter table \`outbox_messages\` add index \`outbox_status_created_idx\`(\`status\`, \`created_at\`);`);
    this.addSql(
      `alter table \`outbox_messages\` add index \`outbox_status_consumed_idx\`(\`status\`, \`consumed_at\`);`,
    );
    this.addSql(
      `alter table \`outbox_messages\` add index \`outbox_status_published_idx\`(\`status\`, \`published_at\`);`,
    );
    this.addSql(`alter table \`outbox_messages\` add unique \`outbox_event_id_uq\`(\`event_id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`chat_messages\`;`);

    this.addSql(`drop table if exists \`conversations\`;`);

    this.addSql(`drop table if exists \`outbox_messages\`;`);
  }
}
