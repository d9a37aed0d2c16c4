import type { ReplyLeases, ReplyRef, ReplyStream } from '../domain/chat/ports';
import type { Logger } from '../domain/ports/logger';
import type { GenerateReply, ReplyJob } from './generate-reply.use-case';

/** Expired leases handled per sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 100;

export const INTERRUPTED_REPLY = {
  kind: 'FAILED',
  code: 'INTERRUPTED',
  message: 'the process generating this reply stopped before it finished; send the message again',
  partialMessageId: null,
} as const;

/**
 * Runs replies detached from the requests that started them and remembers them, so a
 * graceful stop can let them finish (each is persisted, partially if cut) instead of
 * dropping them with the process.
 *
 * A process can also die without stopping. Every running reply holds a lease, renewed every
 * third of `leaseMs`; every API process sweeps leases that ran out (their process is gone)
 * and ends those replies with a FAILED event (code INTERRUPTED), so their subscribers are
 * told instead of waiting forever. A lease can also run out while its reply lives (the
 * process stalled, Redis was unreachable for the renewals, a release failed after the reply
 * ended), so the interrupt is conditional: nothing is added to a reply that already ended, and
 * a reply whose last event is younger than the lease, by the Redis clock, gets another lease.
 */
export const createReplyRunner = (deps: { generate: GenerateReply; replies: ReplyStream; leases: ReplyLeases; leaseMs: number; logger: Logger; drainMs: number }) => {
  const inFlight = new Map<string, { done: Promise<void>; abort: AbortController; ref: ReplyRef }>();
  let accepting = true;
  let timers: NodeJS.Timeout[] = [];
  const leaseEnd = () => new Date(Date.now() + deps.leaseMs);

  const run = async (job: ReplyJob, ref: ReplyRef, abort: AbortController) => {
    // Without its lease a reply still runs; it just cannot be recovered if this process dies.
    await deps.leases.renew([ref], leaseEnd()).catch((error: unknown) => deps.logger.warn({ err: error, replyId: job.replyId }, 'reply lease not taken'));
    try {
      await deps.generate(job, abort.signal);
    } catch (error) {
      // Persisting failed even after retries: say so on the stream rather than leave subscribers waiting.
      deps.logger.error({ err: error, replyId: job.replyId }, 'reply could not be completed');
      await deps.replies.append(ref, { kind: 'FAILED', code: 'INTERNAL', message: 'the reply could not be stored', partialMessageId: null }).catch(() => undefined);
    } finally {
      inFlight.delete(job.replyId);
      await deps.leases.release(ref).catch((error: unknown) => deps.logger.warn({ err: error, replyId: job.replyId }, 'reply lease not released'));
    }
  };

  const heartbeat = async () => {
    await deps.leases.renew([...inFlight.values()].map((r) => r.ref), leaseEnd());
  };

  /** One expired lease: keep our own reply, leave an ended one, give a still-moving one another lease. */
  const settle = async (ref: ReplyRef) => {
    if (inFlight.has(ref.replyId)) return deps.leases.renew([ref], leaseEnd()); // late only because this process stalled
    const outcome = await deps.replies.interrupt(ref, INTERRUPTED_REPLY, deps.leaseMs);
    if (outcome === 'active') return deps.leases.renew([ref], leaseEnd());
    if (outcome === 'interrupted') deps.logger.warn({ replyId: ref.replyId, conversationId: ref.conversationId }, 'reply abandoned by a process that stopped without finishing it: ended as INTERRUPTED');
  };

  const sweep = async () => {
    const expired = await deps.leases.takeExpired(new Date(), SWEEP_BATCH);
    for (const ref of expired) {
      try {
        await settle(ref);
      } catch (error) {
        // Taken but not settled: put the lease back as expired, so the next sweep tries again.
        deps.logger.warn({ err: error, replyId: ref.replyId }, 'abandoned reply not settled; retrying at the next sweep');
        await deps.leases.renew([ref], new Date()).catch(() => undefined);
      }
    }
  };

  const every = (ms: number, name: string, work: () => Promise<void>) => {
    const timer = setInterval(() => void work().catch((error: unknown) => deps.logger.warn({ err: error }, `${name} failed`)), ms);
    timer.unref();
    return timer;
  };

  return {
    name: 'reply-runner',
    start: async () => {
      accepting = true;
      timers = [every(Math.max(1, Math.floor(deps.leaseMs / 3)), 'reply lease renewal', heartbeat), every(Math.max(1, Math.floor(deps.leaseMs / 2)), 'reply lease sweep', sweep)];
    },
    startReply(job: ReplyJob) {
      if (!accepting) throw new Error('shutting down: not starting new replies');
      const abort = new AbortController();
      const ref = { ...job.scope, replyId: job.replyId };
      inFlight.set(job.replyId, { done: run(job, ref, abort), abort, ref });
    },
    /** Waits up to drainMs for running replies, then cuts the rest (they are stored as partial). */
    async stop() {
      accepting = false;
      const pending = [...inFlight.values()];
      const timer = setTimeout(() => pending.forEach((p) => p.abort.abort()), deps.drainMs);
      await Promise.all(pending.map((p) => p.done));
      clearTimeout(timer);
      timers.forEach(clearInterval);
      timers = [];
    },
    ready: async () => accepting,
  };
};
