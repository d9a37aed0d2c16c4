import type { ReplyCancellations } from '../../../src/domain/ports/reply-cancellations';

/** The ReplyCancellations port over a set of reply ids; `notified` lists each first request, as workers would be told. */
export const createInMemoryReplyCancellations = (): ReplyCancellations & { readonly notified: string[] } => {
  const requested = new Set<string>();
  const notified: string[] = [];
  return {
    notified,
    async request(replyId) {
      if (requested.has(replyId)) return 'already';
      requested.add(replyId);
      notified.push(replyId);
      return 'requested';
    },
    isRequested: async (replyId) => requested.has(replyId),
  };
};
