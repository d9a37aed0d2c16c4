import type { ChatTurn, HistoryEntry, ModelChoice } from '../domain/chat/chat-types';
import type { ChatTurns } from '../domain/ports/chat-turns';
import type { ConversationReader } from '../domain/ports/conversation-reader';
import type { ConversationScope } from '../domain/ports/conversation-scope';
import type { HistoryCache } from '../domain/ports/history-cache';
import type { TokenCounter } from '../domain/ports/token-counter';
import {
  toSendMessageCommand,
  type RawSendMessageInput,
  type SendMessageCommand,
} from '../domain/chat/send-message-input';
import { HISTORY_WINDOW, historyBudget, type ModelLimits } from '../domain/chat/token-budget';
import { AppError } from '../domain/errors';
import type { IdGenerator } from '../domain/ports/id-generator';
import type { Logger } from '../domain/ports/logger';
import type { RateLimiter } from '../domain/ports/rate-limiter';
import type { AppendChatMessages } from './append-chat-messages.use-case';

/** Work after the commit that may fail without failing the send (each is repaired later). */
export type SendSideEffect = 'history-cache' | 'owner-marker' | 'start-reply';

export interface SendMessageDeps {
  /** Per-user limit on sends, checked before anything is written or read from the database. */
  rateLimiter: RateLimiter;
  conversations: Pick<ConversationReader, 'ownerOf'>;
  cache: HistoryCache;
  append: AppendChatMessages;
  turns: Pick<ChatTurns, 'byClientMessageId'>;
  counter: TokenCounter;
  ids: IdGenerator;
  /** SHA-256 of the content, hex: tells a repeated send from another send under a reused client message id. */
  hash: (text: string) => string;
  /** Starts generating the turn's reply, detached from the request (it outlives the caller's connection). */
  startReply: (turn: ChatTurn) => Promise<void>;
  logger: Logger;
  onSideEffectFailed?: (step: SendSideEffect) => void;
  chat: { systemPrompt: string; maxContentChars: number };
  models: Readonly<Record<ModelChoice, ModelLimits>>;
}

export interface SendMessageResult {
  conversation: { id: string; createdAt: Date; created: boolean };
  userMessage: { id: string; seq: number; createdAt: Date };
  replyId: string;
}

const resultOf = (turn: ChatTurn): SendMessageResult => ({
  // A conversation's first message has seq 1 exactly when this send created it.
  conversation: { id: turn.conversationId, createdAt: turn.createdAt, created: turn.userSeq === 1 },
  userMessage: { id: turn.userMessageId, seq: turn.userSeq, createdAt: turn.createdAt },
  replyId: turn.replyId,
});

/**
 * sendMessage: validate, check ownership (another user's conversation looks missing), write the
 * user message and its turn in one transaction, then, best effort, put the message in the cached
 * history and start the reply. Once the transaction committed the send has succeeded: a failed
 * cache write is healed when the reply's prompt is built (it finds the gap), a failed start by
 * the recovery of turns still awaiting their reply. With a client message id, a repeat returns
 * the original payload and writes nothing; the database's unique key decides, so this holds
 * across processes, restarts and a lost Redis.
 */
export const createSendMessage = (deps: SendMessageDeps) => {
  const systemTokens = deps.counter.count(deps.chat.systemPrompt);

  const replay = async (
    userId: string,
    command: SendMessageCommand,
    contentSha256: string,
    given: boolean,
  ): Promise<SendMessageResult | null> => {
    const turn = command.clientMessageId ? await deps.turns.byClientMessageId(userId, command.clientMessageId) : null;
    if (!turn) return null;
    if (turn.contentSha256 !== contentSha256 || (given && turn.conversationId !== command.conversationId)) {
      throw new AppError('IDEMPOTENCY_CONFLICT', 'clientMessageId was already used for a different message');
    }
    // The first attempt may have committed and then failed to start its reply: starting again is idempotent.
    if (turn.status === 'AWAITING') await afterCommit('start-reply', turn, () => deps.startReply(turn));
    return resultOf(turn);
  };

  const afterCommit = async (step: SendSideEffect, turn: ChatTurn, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      deps.onSideEffectFailed?.(step);
      deps.logger.warn(
        { err: error, step, conversationId: turn.conversationId, replyId: turn.replyId },
        `send committed, but ${step} failed; it is repaired later`,
      );
    }
  };

  const checkOwner = async (scope: ConversationScope, markedOwned: Promise<boolean>) => {
    if (await markedOwned) return;
    const owner = await deps.conversations.ownerOf(scope.conversationId);
    if (owner !== null && owner !== scope.userId)
      throw new AppError('CONVERSATION_NOT_FOUND', `conversation ${scope.conversationId} not found`);
  };

  return async (input: {
    userId: string;
    raw: RawSendMessageInput;
    traceparent?: string;
  }): Promise<SendMessageResult> => {
    const command = toSendMessageCommand(input.raw, {
      maxContentChars: deps.chat.maxContentChars,
      newId: deps.ids.uuid,
    });
    const contentSha256 = deps.hash(command.content);
    const given = !command.isNew;
    const scope: ConversationScope = { userId: input.userId, conversationId: command.conversationId };
    // The owner marker is read alongside the rate limit (one Redis round trip with auto-pipelining,
    // not two in a row): both are reads of Redis, and nothing is written or read from the database
    // before the limit allowed the send. A refused send never looks at the answer.
    const markedOwned = given ? deps.cache.isOwned(scope) : undefined;
    markedOwned?.catch(() => undefined);
    const quota = await deps.rateLimiter.consume(input.userId);
    if (!quota.allowed) {
      // A retry of a send that was stored is answered, not refused: it costs no new write.
      const earlier = await replay(input.userId, command, contentSha256, given);
      if (earlier) return earlier;
      throw new AppError('RATE_LIMITED', `too many messages; retry in ${quota.retryAfterSeconds} s`);
    }
    const contentTokens = deps.counter.count(command.content);
    if (historyBudget(deps.models[command.model], systemTokens, contentTokens) < 0)
      throw new AppError('BAD_USER_INPUT', `content does not fit the ${command.model} model's context window`);
    if (markedOwned) await checkOwner(scope, markedOwned);

    const replyId = deps.ids.uuid();
    const appended = await deps.append({
      conversationId: command.conversationId,
      userId: input.userId,
      messages: [{ role: 'user', content: command.content }],
      traceparent: input.traceparent,
      turn: {
        replyId,
        clientMessageId: command.clientMessageId,
        contentSha256,
        model: command.model,
        thinking: command.thinking,
      },
    });
    if (appended.duplicate) {
      const earlier = await replay(input.userId, command, contentSha256, given);
      if (!earlier) throw new Error(`client message id ${command.clientMessageId} reported used, but no turn has it`);
      return earlier;
    }
    const message = appended.messages[0];
    if (!message) throw new Error('writer returned no message');
    const turn: ChatTurn = {
      replyId,
      userId: input.userId,
      conversationId: command.conversationId,
      clientMessageId: command.clientMessageId,
      userMessageId: message.messageId,
      userSeq: message.seq,
      contentSha256,
      model: command.model,
      thinking: command.thinking,
      traceparent: input.traceparent ?? null,
      status: 'AWAITING',
      createdAt: message.createdAt,
    };

    // A new conversation's whole history is this message; otherwise append to a cached list that
    // exists (a missing one is rebuilt from the database when the reply's prompt is built).
    const entry: HistoryEntry = { seq: message.seq, role: 'user', content: command.content, tokens: contentTokens };
    // The push never shortens the list: the window the reply's prompt needs is applied with the reply.
    const window = HISTORY_WINDOW.max;
    // The reply starts alongside the cache writes, not after them (one round trip less). They are
    // sent first, and its job is taken only several round trips later, so the reply's prompt
    // normally finds the message cached; one that does not reads it from the database.
    await Promise.all([
      afterCommit('history-cache', turn, () =>
        appended.created ? deps.cache.fill(scope, [entry], window) : deps.cache.push(scope, entry, window),
      ),
      afterCommit('owner-marker', turn, () => deps.cache.markOwned(scope)),
      afterCommit('start-reply', turn, () => deps.startReply(turn)),
    ]);
    return {
      ...resultOf(turn),
      conversation: { id: command.conversationId, createdAt: message.createdAt, created: appended.created },
    };
  };
};

export type SendMessage = ReturnType<typeof createSendMessage>;
