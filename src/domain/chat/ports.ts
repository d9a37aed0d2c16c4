import type { ChatMessagePayload } from '../chat-message-envelope';
import type { ChatTurn, CursoredReplyEvent, HistoryEntry, ModelChoice, ModelEvent, PromptMessage, ReplyEvent } from './chat-types';

/** Errors a model stream can end with; each becomes a FAILED reply event with this code. */
export type ModelErrorCode = 'MODEL_TIMEOUT' | 'MODEL_REJECTED' | 'MODEL_UNAVAILABLE' | 'MODEL_STREAM_CUT';

/**
 * An OpenAI-compatible chat model.
 * Guarantee: yields events as the provider streams them and ends normally only when the
 * provider finished the reply; any failure is thrown as a ModelError with its code.
 */
export interface ChatModel {
  stream(input: { choice: ModelChoice; messages: readonly PromptMessage[]; thinking: boolean; signal?: AbortSignal }): AsyncIterable<ModelEvent>;
  /** The provider's model name for a choice (recorded with the assistant message). */
  modelName(choice: ModelChoice): string;
}

/** Counts tokens the way the model's tokenizer does. */
export interface TokenCounter {
  count(text: string): number;
}

/**
 * The per-user, per-conversation history cache (a Redis list), newest last.
 * Guarantee: `read` returns null on a miss (no key), never a partial list pretending to be whole.
 */
export interface HistoryCache {
  read(scope: ConversationScope): Promise<HistoryEntry[] | null>;
  /** Replaces the cached list (after a database fallback), keeping the newest `window` entries. */
  fill(scope: ConversationScope, entries: readonly HistoryEntry[], window: number): Promise<void>;
  /** Appends one entry to an existing list (never creates one) and trims it to the newest `window` entries. */
  push(scope: ConversationScope, entry: HistoryEntry, window: number): Promise<void>;
  /** Remembers that this user owns this conversation, so the next send skips the database. */
  markOwned(scope: ConversationScope): Promise<void>;
  isOwned(scope: ConversationScope): Promise<boolean>;
}

export interface ConversationScope {
  readonly userId: string;
  readonly conversationId: string;
}

/**
 * Reply events per reply (a bounded Redis Stream with a TTL).
 * Guarantee: `read` yields every event after `after` exactly once, in append order, and ends
 * after a terminal event (COMPLETED or FAILED), when the signal aborts, or after `idleTimeoutMs`
 * without an event. Nothing is ever added after a terminal event, nor for a run older than the
 * newest that appended: `append` then returns null, so a reply has at most one end and one run's
 * text after its last restart.
 */
export interface ReplyStream {
  /** Whether the reply's stream holds any event (false: not started yet, expired, or never was). */
  exists(scope: ReplyRef): Promise<boolean>;
  /**
   * `fence`: the number of the run appending (it grows with each run of the reply); once a later
   * run appended, an earlier run's appends return null too.
   */
  append(scope: ReplyRef, event: ReplyEvent, fence?: number): Promise<string | null>;
  read(scope: ReplyRef, options: { after?: string; signal?: AbortSignal; idleTimeoutMs?: number }): AsyncIterable<CursoredReplyEvent>;
  /** Every event the reply has so far, oldest first, without waiting (bounded by the stream's cap). */
  events(scope: ReplyRef): Promise<ReplyEvent[]>;
  /**
   * Names the reply the conversation's latest when it answers the newest turn started so far
   * (`seq`: the seq of the user message it answers); a reply of an earlier turn, recovered or
   * taken over late, never takes the pointer back.
   */
  markLatest(scope: ReplyRef, seq: number): Promise<void>;
  /** The conversation's latest reply (see markLatest), if any is still retained. */
  latestReply(scope: ConversationScope): Promise<string | null>;
}

export type ReplyRef = ConversationScope & { readonly replyId: string };

export interface CommittedMessage {
  readonly messageId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly createdAt: Date;
  readonly payload: ChatMessagePayload;
}

/** Conversations and persisted history as the API reads them. */
export interface ConversationReader {
  /** The owner, or null when the conversation does not exist. */
  ownerOf(conversationId: string): Promise<string | null>;
  /** The newest `limit` committed messages, oldest first: history, plus those still on their way through the outbox. */
  recentHistory(conversationId: string, limit: number): Promise<HistoryEntry[]>;
  /**
   * A message the writer already committed, by its id (from its outbox row, else from history):
   * lets a writer retry tell "my first attempt committed, its answer was lost" from "it failed",
   * and a reply taken over after its worker died end its stream from what was stored.
   */
  committedMessage(conversationId: string, messageId: string): Promise<CommittedMessage | null>;
}

/**
 * Chat turns as recorded by the writer (see ChatTurn).
 * Guarantee: reads see only committed turns; a turn is REPLIED exactly when its reply's
 * assistant message committed.
 */
export interface ChatTurns {
  get(replyId: string): Promise<ChatTurn | null>;
  /** The turn a user's earlier send with this client message id recorded, if any. */
  byClientMessageId(userId: string, clientMessageId: string): Promise<ChatTurn | null>;
  /** Turns still AWAITING that were created before `createdBefore`, oldest first. */
  awaiting(input: { createdBefore: Date; limit: number }): Promise<ChatTurn[]>;
  /** Deletes up to `limit` REPLIED turns created before `createdBefore` (never one still awaited); returns how many. */
  deleteReplied(input: { createdBefore: Date; limit: number }): Promise<number>;
}

/**
 * Requests to stop replies ("stop generating"), shared by every process of the deployment.
 * Guarantee: once `request` resolved, `isRequested` answers true for the reply for at least as
 * long as its reply stream is kept, and every generate worker running the reply at that moment
 * has been notified (best effort: a worker that misses the notification sees the flag when it
 * next starts the reply). Whether the reply ended is the database's answer (its turn), not this.
 */
export interface ReplyCancellations {
  /** Records the request and notifies the workers; 'already' when it had been requested before. */
  request(replyId: string): Promise<'requested' | 'already'>;
  isRequested(replyId: string): Promise<boolean>;
}
