import { Counter, type Registry } from 'prom-client';

/** Work after a send's commit that failed without failing the send, and the repairs that follow. */
export const createChatMetrics = (registry: Registry) => {
  const registers = [registry];
  return {
    sendSideEffectFailures: new Counter({
      name: 'agent_relay_send_side_effect_failures_total',
      help: "Steps after a committed write that failed (the write still succeeded): a send's history-cache, owner-marker, start-reply; relay-wake-up after any outbox commit; reply-history-cache after a reply's commit.",
      labelNames: ['step'] as const,
      registers,
    }),
    historyCacheRepairs: new Counter({
      name: 'agent_relay_history_cache_repairs_total',
      help: 'Cached histories found missing a committed message when a prompt was built, and refilled from the database.',
      registers,
    }),
    replyRestarts: new Counter({
      name: 'agent_relay_reply_restarts_total',
      help: 'Replies taken over from a worker that stopped mid-reply and generated again from the start (ReplyRestarted).',
      registers,
    }),
    repliesRecovered: new Counter({
      name: 'agent_relay_replies_recovered_total',
      help: 'Turns still awaiting their reply without a generate job, found in the database and enqueued again.',
      registers,
    }),
    repliesGivenUp: new Counter({
      name: 'agent_relay_replies_given_up_total',
      help: 'Generate jobs failed for good, their reply ended with ReplyFailed: INTERRUPTED (stalled too often) or INTERNAL (not storable).',
      labelNames: ['code'] as const,
      registers,
    }),
    repliesCancelled: new Counter({
      name: 'agent_relay_replies_cancelled_total',
      help: 'Replies stopped by cancelReply (ReplyFailed CANCELLED), by what ended them: worker (a run aborted, or a job that found the request before it started) or api (a job no worker had started, taken out of the queue).',
      labelNames: ['ended_by'] as const,
      registers,
    }),
  };
};

export type ChatMetrics = ReturnType<typeof createChatMetrics>;
