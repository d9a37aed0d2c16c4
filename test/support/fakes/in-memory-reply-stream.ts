import { isTerminal, type CursoredReplyEvent, type ReplyEvent } from '../../../src/domain/chat/chat-types';
import type { ReplyRef } from '../../../src/domain/ports/conversation-scope';
import type { ReplyStream } from '../../../src/domain/ports/reply-stream';

export interface InMemoryReplyStream extends ReplyStream {
  /** A reply's events as stored. */
  stored(ref: ReplyRef): readonly ReplyEvent[];
}

const keyOf = (ref: ReplyRef) => `${ref.userId}/${ref.conversationId}/${ref.replyId}`;

/**
 * The ReplyStream contract in memory, for unit tests of what is appended: nothing after a
 * terminal event, nor from a run older than the newest that appended (append returns null). `read` replays what is stored; it does not wait.
 */
export const createInMemoryReplyStream = (): InMemoryReplyStream => {
  const streams = new Map<string, ReplyEvent[]>();
  const latest = new Map<string, { seq: number; replyId: string }>();
  const fences = new Map<string, number>();
  const of = (ref: ReplyRef) => streams.get(keyOf(ref)) ?? [];
  return {
    stored: of,
    async append(ref, event, fence) {
      if (fence !== undefined) {
        if (fence < (fences.get(keyOf(ref)) ?? 0)) return null;
        fences.set(keyOf(ref), fence);
      }
      const events = of(ref);
      const last = events.at(-1);
      if (last && isTerminal(last)) return null;
      streams.set(keyOf(ref), [...events, event]);
      return `${events.length + 1}-0`;
    },
    async *read(ref): AsyncIterable<CursoredReplyEvent> {
      for (const [index, event] of of(ref).entries()) yield { cursor: `${index + 1}-0`, replyId: ref.replyId, event };
    },
    events: async (ref) => [...of(ref)],
    exists: async (ref) => of(ref).length > 0,
    async markLatest(ref, seq) {
      const key = `${ref.userId}/${ref.conversationId}`;
      if ((latest.get(key)?.seq ?? 0) <= seq) latest.set(key, { seq, replyId: ref.replyId });
    },
    latestReply: async (scope) => latest.get(`${scope.userId}/${scope.conversationId}`)?.replyId ?? null,
  };
};
