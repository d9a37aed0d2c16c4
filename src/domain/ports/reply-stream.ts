import type { ConversationScope, ReplyRef } from './conversation-scope';
import type { CursoredReplyEvent, ReplyEvent } from '../chat/chat-types';

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
  read(
    scope: ReplyRef,
    options: { after?: string; signal?: AbortSignal; idleTimeoutMs?: number },
  ): AsyncIterable<CursoredReplyEvent>;
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
