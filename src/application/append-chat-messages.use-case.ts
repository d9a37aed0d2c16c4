import type { ModelChoice } from '../domain/chat/chat-types';
import { CHAT_MESSAGE_CREATED, chatMessagePayload, type ChatMessageFields } from '../domain/chat-message-envelope';
import { AppError } from '../domain/errors';
import type { NewOutboxMessage } from '../domain/outbox-message';
import type { Clock } from '../domain/ports/clock';
import type { IdGenerator } from '../domain/ports/id-generator';
import type { UnitOfWork } from '../domain/ports/unit-of-work';

export type NewChatMessage = ChatMessageFields & { readonly messageId?: string };

export interface AppendChatMessagesInput {
  readonly conversationId: string;
  readonly userId: string;
  readonly messages: readonly NewChatMessage[];
  /** W3C trace context of the request, carried through the outbox row into Kafka headers. */
  readonly traceparent?: string;
  /** A user send: recorded as an AWAITING turn with the first message, in the same transaction. */
  readonly turn?: NewTurn;
  /**
   * A reply's message: the same transaction marks this reply id's AWAITING turn REPLIED. When no
   * turn with this id awaits (its reply is stored already), nothing is written: `turnNotAwaiting`.
   */
  readonly completesTurn?: string;
}

export interface NewTurn {
  readonly replyId: string;
  readonly clientMessageId: string | null;
  readonly contentSha256: string;
  readonly model: ModelChoice;
  readonly thinking: boolean;
}

export interface AppendedMessage {
  readonly messageId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly createdAt: Date;
}

export interface AppendChatMessagesDeps {
  uow: UnitOfWork;
  clock: Clock;
  ids: IdGenerator;
  outbox: { topic: string; maxAttempts: number };
}

/** Rolls the transaction back when the turn's client message id was already used; never leaves the writer. */
class DuplicateTurn extends Error {}

/** Rolls the transaction back when the turn a reply completes is not awaiting it; never leaves the writer. */
class TurnNotAwaiting extends Error {}

export interface AppendResult {
  readonly conversationId: string;
  readonly created: boolean;
  readonly messages: AppendedMessage[];
  /** Only with a turn: the user already sent a message with this client message id, and nothing was written (no messages). */
  readonly duplicate?: true;
  /** Only with completesTurn: no turn with that reply id was awaiting its reply, and nothing was written (no messages). */
  readonly turnNotAwaiting?: true;
}

/**
 * The outbox writer. In one transaction: create or lock the conversation while handing out
 * the next sequence numbers, insert one outbox row per message. The unit of work wakes the relay
 * after the commit; the writer never talks to Kafka, so there is no dual write.
 */
export const createAppendChatMessages =
  (deps: AppendChatMessagesDeps) =>
  async (input: AppendChatMessagesInput): Promise<AppendResult> => {
    if (input.messages.length === 0) throw new AppError('BAD_USER_INPUT', 'nothing to append: messages is empty');
    const now = deps.clock.now();
    const write = deps.uow.run(async (tx) => {
      const reserved = await tx.reserveSeqs({
        id: input.conversationId,
        userId: input.userId,
        count: input.messages.length,
        now,
      });
      // Another user's conversation looks exactly like a missing one.
      if (!reserved) throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${input.conversationId} not found`);
      const appended = input.messages.map((message, index): AppendedMessage & { row: NewOutboxMessage } => {
        const messageId = message.messageId ?? deps.ids.uuid();
        const eventId = deps.ids.uuid();
        const seq = reserved.firstSeq + index;
        const headers: Record<string, string> = input.traceparent ? { traceparent: input.traceparent } : {};
        const row = {
          eventId,
          aggregateId: input.conversationId,
          aggregateSeq: seq,
          eventType: CHAT_MESSAGE_CREATED,
          topic: deps.outbox.topic,
          payload: chatMessagePayload(messageId, message),
          headers,
          maxAttempts: deps.outbox.maxAttempts,
          createdAt: now,
        };
        return { messageId, eventId, seq, createdAt: now, row };
      });
      await tx.appendOutbox(appended.map((a) => a.row));
      const first = appended[0];
      if (input.turn && first) {
        const turn = {
          ...input.turn,
          userId: input.userId,
          conversationId: input.conversationId,
          userMessageId: first.messageId,
          userSeq: first.seq,
          traceparent: input.traceparent ?? null,
          createdAt: now,
        };
        if ((await tx.recordTurn(turn)) === 'duplicate') throw new DuplicateTurn();
      }
      if (input.completesTurn && (await tx.completeTurn({ replyId: input.completesTurn, now })) === 'not-awaiting')
        throw new TurnNotAwaiting();
      return { created: reserved.created, messages: appended.map(({ row: _row, ...rest }) => rest) };
    });
    const result = await write.catch((error: unknown) => {
      if (error instanceof DuplicateTurn) return 'duplicate' as const;
      if (error instanceof TurnNotAwaiting) return 'not-awaiting' as const;
      throw error;
    });
    if (result === 'duplicate')
      return { conversationId: input.conversationId, created: false, messages: [], duplicate: true };
    if (result === 'not-awaiting')
      return { conversationId: input.conversationId, created: false, messages: [], turnNotAwaiting: true };
    return { conversationId: input.conversationId, ...result };
  };

export type AppendChatMessages = ReturnType<typeof createAppendChatMessages>;
