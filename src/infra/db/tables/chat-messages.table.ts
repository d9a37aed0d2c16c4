import type { ChatMessageEnvelope, ChatRole } from '../../../domain/chat-message-envelope';
import type { MessageView } from '../../../domain/chat/views';
import { fromDatetime } from './datetime';

/**
 * chat_messages (history) as raw SQL reads and writes it. The consumer inserts one row per
 * decoded envelope; the read side maps rows back to what the API shows.
 */

/** The insert's columns, in the order of `toChatMessageValues`. `partial` is a reserved word. */
export const CHAT_MESSAGE_INSERT_COLUMNS = [
  'id',
  'event_id',
  'conversation_id',
  'seq',
  'role',
  'content',
  'reasoning',
  'model',
  'prompt_tokens',
  'completion_tokens',
  '`partial`',
  'created_at',
  'persisted_at',
] as const;

/** One history row's values for an envelope; created_at is the conversation's time, persisted_at the consumer's. */
export const toChatMessageValues = ({ payload: p, ...e }: ChatMessageEnvelope, persistedAt: Date): unknown[] => [
  p.messageId,
  e.eventId,
  e.conversationId,
  e.seq,
  p.role,
  p.content,
  p.reasoning,
  p.model,
  p.promptTokens,
  p.completionTokens,
  p.partial,
  new Date(e.occurredAt),
  persistedAt,
];

/** The columns a message is shown from. */
export const CHAT_MESSAGE_COLUMNS =
  'id, seq, role, content, reasoning, model, prompt_tokens, completion_tokens, `partial`, created_at';

export interface ChatMessageRow {
  id: string;
  seq: number;
  role: ChatRole;
  content: string;
  reasoning: string | null;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  partial: number | boolean;
  created_at: Date;
}

const countOrNull = (value: number | null) => (value === null ? null : Number(value));

export const toMessageView = (row: ChatMessageRow): MessageView => ({
  id: row.id,
  seq: Number(row.seq),
  role: row.role,
  content: row.content,
  reasoning: row.reasoning,
  model: row.model,
  promptTokens: countOrNull(row.prompt_tokens),
  completionTokens: countOrNull(row.completion_tokens),
  partial: Boolean(row.partial),
  createdAt: fromDatetime(row.created_at),
});
