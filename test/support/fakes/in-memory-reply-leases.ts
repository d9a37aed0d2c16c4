import type { ReplyLeases, ReplyRef } from '../../../src/domain/chat/ports';

export interface InMemoryReplyLeases extends ReplyLeases {
  /** Lease end per reply id, for assertions. */
  readonly until: ReadonlyMap<string, number>;
}

/** ReplyLeases in memory: takeExpired removes what it returns, so nothing is taken twice. */
export const createInMemoryReplyLeases = (): InMemoryReplyLeases => {
  const leases = new Map<string, { ref: ReplyRef; until: number }>();
  const until = new Map<string, number>();
  return {
    until,
    async renew(replies, end) {
      for (const ref of replies) {
        leases.set(ref.replyId, { ref, until: end.getTime() });
        until.set(ref.replyId, end.getTime());
      }
    },
    async release(ref) {
      leases.delete(ref.replyId);
      until.delete(ref.replyId);
    },
    async takeExpired(now, limit) {
      const expired = [...leases.values()].filter((l) => l.until <= now.getTime()).slice(0, limit);
      for (const { ref } of expired) {
        leases.delete(ref.replyId);
        until.delete(ref.replyId);
      }
      return expired.map((l) => l.ref);
    },
  };
};
