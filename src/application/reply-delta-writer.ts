import type { ReplyEvent } from '../domain/chat/chat-types';

type Delta = Extract<ReplyEvent, { kind: 'TOKEN' | 'REASONING' }>;

/**
 * Writes a reply's deltas to its stream without holding the model back: while one append is
 * in flight, the deltas that arrive meanwhile wait, and the next append carries them as one
 * event per run of the same kind (text concatenated, order kept). When appends keep up (an idle
 * process), that is one event per model token; when the process is busy, events get fewer and
 * larger instead of queueing, so every stage after the model (Redis, pub/sub, GraphQL, the
 * socket) does less work per token exactly when it is short of CPU.
 */
export const createReplyDeltaWriter = (append: (event: Delta) => Promise<unknown>) => {
  let pending: Delta[] = [];
  let flushing: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;

  const merged = (deltas: readonly Delta[]): Delta[] =>
    deltas.reduce<Delta[]>((runs, delta) => {
      const last = runs[runs.length - 1];
      if (last && last.kind === delta.kind) runs[runs.length - 1] = { kind: delta.kind, text: last.text + delta.text };
      else runs.push(delta);
      return runs;
    }, []);

  const flush = async () => {
    while (pending.length > 0) {
      const batch = merged(pending);
      pending = [];
      for (const delta of batch) await append(delta);
    }
  };

  return {
    /** Queues a delta; throws the first append failure so the caller stops streaming. */
    push(delta: Delta) {
      if (failure) throw failure.error;
      pending.push(delta);
      flushing ??= flush()
        .catch((error: unknown) => {
          failure = { error };
        })
        .finally(() => {
          flushing = undefined;
        });
    },
    /** Resolves once every queued delta is in the stream; rejects with the first append failure. */
    async drain() {
      while (flushing) await flushing;
      if (failure) throw failure.error;
    },
  };
};
