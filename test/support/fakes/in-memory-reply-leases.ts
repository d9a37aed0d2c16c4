import type { ReplyLeases, ReplyRef } from '../../../src/domain/chat/ports';

export interface InMemoryReplyLeases extends ReplyLeases {
  /** A reply's lease end (epoch ms), or undefined when it holds none. */
  leaseEnd(replyId: string): number | undefined;
}

/** ReplyLeases in memory: takeExpired removes what it returns, so nothing is taken twice. */
export const createInMemoryReplyLeases = (): InMemoryReplyLeases => {
  const leases = new Map<string, { ref: ReplyRef; until: number }>();
  return {
    leaseEnd: (replyId) => leases.get(replyId)?.until,
    async renew(replies, end) {
      for (const ref of replies) leases.set(ref.replyId, { ref, until: end.getTime() });
    },
    async release(ref) {
      leases.delete(ref.replyId);
    },
    async isLeased(ref) {
      return leases.has(ref.replyId);
    },
    async takeExpired(now, limit) {
      const expired = [...leases.values()].filter((l) => l.until <= now.getTime()).slice(0, limit);
      for (const { ref } of expired) leases.delete(ref.replyId);
      return expired.map((l) => l.ref);
    },
  };
};
