import { EntitySchema } from '@mikro-orm/core';

/**
 * ORM row for one acknowledged send: the user message and the reply it awaits. Written in the
 * user message's transaction, so the database alone answers "was this send stored" (the
 * client's idempotency key) and "which sends still await a reply" (recovery after Redis lost
 * the generate job). Never leaves src/infra.
 */
export class ChatTurnEntity {
  replyId!: string;
  userId!: string;
  conversationId!: string;
  clientMessageId!: string | null;
  userMessageId!: string;
  userSeq!: number;
  contentSha256!: string;
  model!: string;
  thinking!: boolean;
  traceparent!: string | null;
  /** AWAITING until the reply's assistant message commits (same transaction), then REPLIED. */
  status!: string;
  createdAt!: Date;
  repliedAt!: Date | null;
}

export const ChatTurnSchema = new EntitySchema<ChatTurnEntity>({
  class: ChatTurnEntity,
  tableName: 'chat_turns',
  indexes: [{ name: 'chat_turns_status_created_idx', properties: ['status', 'createdAt'] }],
  uniques: [{ name: 'chat_turns_user_client_uq', properties: ['userId', 'clientMessageId'] }],
  properties: {
    replyId: { type: 'string', columnType: 'char(36)', primary: true },
    userId: { type: 'string', length: 64 },
    conversationId: { type: 'string', columnType: 'char(36)' },
    clientMessageId: { type: 'string', columnType: 'char(36)', nullable: true },
    userMessageId: { type: 'string', columnType: 'char(36)' },
    userSeq: { type: 'integer', unsigned: true },
    contentSha256: { type: 'string', columnType: 'char(64)' },
    model: { type: 'string', length: 16 },
    thinking: { type: 'boolean' },
    traceparent: { type: 'string', length: 55, nullable: true },
    status: { type: 'string', length: 16 },
    createdAt: { type: 'datetime', length: 3 },
    repliedAt: { type: 'datetime', length: 3, nullable: true },
  },
});
