import { EntitySchema } from '@mikro-orm/core';

/** ORM row for a conversation. Never leaves src/infra: repositories map it to domain types. */
export class ConversationEntity {
  id!: string;
  userId!: string;
  title!: string | null;
  /** Last sequence number handed out by a writer; bumped in the writer's transaction. */
  lastSeq!: number;
  /** Messages persisted to history by the consumer. */
  messageCount!: number;
  lastMessageAt!: Date | null;
  createdAt!: Date;
  updatedAt!: Date;
}

export const ConversationSchema = new EntitySchema<ConversationEntity>({
  class: ConversationEntity,
  tableName: 'conversations',
  indexes: [{ name: 'conversations_user_created_idx', properties: ['userId', 'createdAt'] }],
  properties: {
    id: { type: 'string', columnType: 'char(36)', primary: true },
    userId: { type: 'string', length: 64 },
    title: { type: 'string', length: 200, nullable: true },
    lastSeq: { type: 'integer', unsigned: true, default: 0 },
    messageCount: { type: 'integer', unsigned: true, default: 0 },
    lastMessageAt: { type: 'datetime', length: 3, nullable: true },
    createdAt: { type: 'datetime', length: 3 },
    updatedAt: { type: 'datetime', length: 3 },
  },
});
