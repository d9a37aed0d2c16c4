import { CHAT_MESSAGE_CREATED, type ChatMessagePayload, type ChatRole } from '../domain/chat-event';
import { AppError } from '../domain/errors';
import type { NewOutboxMessage } from '../domain/outbox-message';
import type { Clock } from '../domain/ports/clock';
import type { IdGenerator } from '../domain/ports/id-generator';
import type { Logger } from '../domain/ports/logger';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { UnitOfWork } from '../domain/ports/unit-of-work';

export interface NewChatMessage {
  readonly messageId?: string;
  readonly role: ChatRole;
  readonly content: string;
  readonly reasoning?: string | null;
  readonly model?: string | null;
  readonly promptTokens?: number | null;
  readonly completionTokens?: number | null;
  readonly partial?: boolean;
}

export interface AppendChatMessagesInput {
  readonly conversationId: string;
  readonly userId: string;
  readonly messages: readonly NewChatMessage[];
  /** W3C trace context of the request, carried through the outbox row into Kafka headers. */
  readonly traceparent?: string;
}

export interface AppendedMessage {
  readonly messageId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly createdAt: Date;
}

export interface AppendChatMessagesDeps {
  uow: UnitOfWork;
  waker: RelayWaker;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  outbox: { topic: string; maxAttempts: number };
}

const payloadOf = (message: NewChatMessage, messageId: string): ChatMessagePayload => ({
  messageId,
  role: message.role,
  content: message.content,
  reasoning: message.reasoning ?? null,
  model: message.model ?? null,
  promptTokens: message.promptTokens ?? null,
  completionTokens: message.completionTokens ?? null,
  partial: message.partial ?? false,
});

/**
 * The outbox writer. In one transaction: create or lock the conversation while handing out
 * the next sequence numbers, insert one outbox row per message. Only after commit does it wake
 * the relay; it never talks to Kafka, so there is no dual write.
 */
export const createAppendChatMessages = (deps: AppendChatMessagesDeps) => async (input: AppendChatMessagesInput) => {
  if (input.messages.length === 0) throw new AppError('BAD_USER_INPUT', 'nothing to append: messages is empty');
  const now = deps.clock.now();
  const result = await deps.uow.run(async (tx) => {
    const reserved = await tx.reserveSeqs({ id: input.conversationId, userId: input.userId, count: input.messages.length, now });
    // Another user's conversation looks exactly like a missing one.
    if (!reserved) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${input.conversationId} not found`);
    const appended = input.messages.map((message, index): AppendedMessage & { row: NewOutboxMessage } => {
      const messageId = message.messageId ?? deps.ids.uuid();
      const eventId = deps.ids.uuid();
      const seq = reserved.firstSeq + index;
      const headers: Record<string, string> = input.traceparent ? { traceparent: input.traceparent } : {};
      const row = { eventId, aggregateId: input.conversationId, aggregateSeq: seq, eventType: CHAT_MESSAGE_CREATED, topic: deps.outbox.topic, payload: { ...payloadOf(message, messageId) }, headers, maxAttempts: deps.outbox.maxAttempts, createdAt: now };
      return { messageId, eventId, seq, createdAt: now, row };
    });
    await tx.appendOutbox(appended.map((a) => a.row));
    return { created: reserved.created, messages: appended.map(({ row: _row, ...rest }) => rest) };
  });
  // Not awaited: the caller's latency should not include a Redis round trip, and a lost
  // wake-up costs latency only, since the scheduled scan publishes the rows anyway.
  deps.waker.wake().catch((error: unknown) => deps.logger.warn({ err: error }, 'relay wake-up failed; the scheduled scan will publish'));
  return { conversationId: input.conversationId, ...result };
};

export type AppendChatMessages = ReturnType<typeof createAppendChatMessages>;
