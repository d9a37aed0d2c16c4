import type { ChatRole } from '../chat-message-envelope';

export const MODEL_CHOICES = ['WORKER', 'STRATEGIST'] as const;
export type ModelChoice = (typeof MODEL_CHOICES)[number];

/** A message as the model sees it: history entries and the new user message. */
export interface PromptMessage {
  readonly role: ChatRole | 'system';
  readonly content: string;
}

/** A history entry as cached and read back; seq orders it within its conversation. */
export interface HistoryEntry {
  readonly seq: number;
  readonly role: ChatRole;
  readonly content: string;
  /**
   * The content's token count, when it was counted before (the cache keeps it): otherwise every
   * send recounts the whole history, 0.8–1.2 ms for 12 short entries and 12–13 ms for 50 of
   * 1,500 characters (bench/experiments/token-count-cost.ts).
   */
  readonly tokens?: number;
}

/** What the model streams. Usage arrives once, at the end, when the provider reports it. */
export type ModelEvent =
  | { readonly type: 'token'; readonly text: string }
  | { readonly type: 'reasoning'; readonly text: string }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number };

/** Events of one reply, in the order subscribers must see them. */
export type ReplyEvent =
  | { readonly kind: 'TOKEN'; readonly text: string }
  | { readonly kind: 'REASONING'; readonly text: string }
  /** The process generating the reply stopped; another generates it again from the start: discard the text so far. */
  | { readonly kind: 'RESTARTED'; readonly reason: string }
  | {
      readonly kind: 'COMPLETED';
      readonly message: {
        readonly id: string;
        readonly seq: number;
        readonly content: string;
        readonly reasoning: string | null;
        readonly model: string;
        readonly promptTokens: number | null;
        readonly completionTokens: number | null;
        readonly createdAt: string;
      };
    }
  | {
      readonly kind: 'FAILED';
      readonly code: string;
      readonly message: string;
      readonly partialMessageId: string | null;
    };

/** A reply event with its position in the reply's stream: resuming after a cursor yields every later event once. */
export interface CursoredReplyEvent {
  readonly cursor: string;
  readonly replyId: string;
  readonly event: ReplyEvent;
}

export const isTerminal = (event: ReplyEvent) => event.kind === 'COMPLETED' || event.kind === 'FAILED';

/** The text and reasoning a reply streamed since its last restart (what a subscriber shows). */
export const streamedDraft = (events: readonly ReplyEvent[]) => {
  let content = '';
  let reasoning = '';
  for (const event of events) {
    if (event.kind === 'TOKEN') content += event.text;
    else if (event.kind === 'REASONING') reasoning += event.text;
    else if (event.kind === 'RESTARTED') [content, reasoning] = ['', ''];
  }
  return { content, reasoning };
};

type ChatTurnStatus = 'AWAITING' | 'REPLIED';

/**
 * One acknowledged send: the user message and the reply it awaits, recorded in the user
 * message's transaction. The database's answer to "was this send stored" (by the client's
 * message id) and "which sends still await their reply".
 */
export interface ChatTurn {
  readonly replyId: string;
  readonly userId: string;
  readonly conversationId: string;
  /** The client's idempotency key for the send, when it gave one. */
  readonly clientMessageId: string | null;
  readonly userMessageId: string;
  readonly userSeq: number;
  /** Tells a repeat of the same send from a different send under a reused key. */
  readonly contentSha256: string;
  readonly model: ModelChoice;
  readonly thinking: boolean;
  readonly traceparent: string | null;
  readonly status: ChatTurnStatus;
  readonly createdAt: Date;
}

/**
 * What a reply's prompt and first reads need of its turn: the send puts it in the generate job, so
 * a worker can start those reads before its own read of the turn has answered (and keeps them
 * only when that read agrees).
 */
export type TurnPromptKey = Pick<ChatTurn, 'replyId' | 'userId' | 'conversationId' | 'userSeq' | 'model'>;
