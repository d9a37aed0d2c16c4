import { EntitySchema } from '@mikro-orm/core';

/**
 * Durable history, written only by the Kafka consumer. `eventId` is unique so a
 * redelivered copy is a no-op; (conversationId, seq) is unique so order is the
 * conversation's own, whatever order copies arrive in.
 */
export class ChatMessageEntity {
  id!: string;
  eventId!: string;
  conversationId!: string;
  seq!: number;
  role!: 'user' | 'assistant';
  content!: string;
  reasoning!: string | null;
  model!: string | null;
  promptTokens!: number | null;
  completionTokens!: number | null;
  partial!: boolean;
  /** The conversation's time for the message (from the writer), never the consume time. */
  createdAt!: Date;
  persistedAt!: Date;
}

export const ChatMessageSchema = new EntitySchema<ChatMessageEntity>({
  class: ChatMessageEntity,
  tableName: 'chat_messages',
  uniques: [
    { name: 'chat_messages_event_id_uq', properties: ['eventId'] },
    { name: 'chat_messages_conversation_seq_uq', properties: ['conversationId', 'seq'] },
  ],
  properties: {
    id: { type: 'string', columnType: 'char(36)', primary: true },
    eventId: { type: 'string', columnType: 'char(36)' },
    conversationId: { type: 'string', columnType: 'char(36)' },
    seq: { type: 'integer', unsigned: true },
    role: { type: 'string', length: 16 },
    content: { type: 'text', columnType: 'mediumtext' },
    reasoning: { type: 'text', columnType: 'mediumtext', nullable: true },
    model: { type: 'string', length: 100, nullable: true },
    promptTokens: { type: 'integer', unsigned: true, nullable: true },
    completionTokens: { type: 'integer', unsigned: true, nullable: true },
    partial: { type: 'boolean', default: false },
    createdAt: { type: 'datetime', length: 3 },
    persistedAt: { type: 'datetime', length: 3 },
  },
});
