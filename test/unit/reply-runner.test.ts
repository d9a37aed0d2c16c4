import type { GenerateReply, ReplyJob } from '../../src/application/generate-reply.use-case';
import { createReplyRunner, INTERRUPTED_REPLY } from '../../src/application/reply-runner';
import type { ReplyEvent } from '../../src/domain/chat/chat-types';
import type { ReplyRef, ReplyStream } from '../../src/domain/chat/ports';
import { deferred, eventually } from '../support/eventually';
import { createInMemoryReplyLeases } from '../support/fakes/in-memory-reply-leases';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const LEASE_MS = 60;
const scope = { userId: 'u1', conversationId: 'c1' };
const aJob = (replyId: string): ReplyJob => ({ scope, replyId, choice: 'WORKER', thinking: false, prompt: [], window: 32 });

type Outcome = Awaited<ReturnType<ReplyStream['interrupt']>>;

/** `outcomes` decides what interrupting a reply id finds, call by call (default: it interrupts); an Error fails that call. */
const setup = (generate: GenerateReply, outcomes: Record<string, () => Outcome | Error> = {}) => {
  const leases = createInMemoryReplyLeases();
  const appended: { ref: ReplyRef; event: ReplyEvent }[] = [];
  const replies = {
    append: async (ref: ReplyRef, event: ReplyEvent) => (appended.push({ ref, event }), '1-0'),
    interrupt: async (ref: ReplyRef, event: ReplyEvent, quietMs: number): Promise<Outcome> => {
      const outcome = outcomes[ref.replyId]?.() ?? 'interrupted';
      if (outcome instanceof Error) throw outcome;
      expect(quietMs).toBe(LEASE_MS);
      if (outcome === 'interrupted') appended.push({ ref, event });
      return outcome;
    },
  } as unknown as ReplyStream;
  const runner = createReplyRunner({ generate, replies, leases, leaseMs: LEASE_MS, logger: createRecordingLogger(), drainMs: 1_000 });
  return { leases, appended, runner };
};

describe('reply runner: leases on running replies', () => {
  it('holds a lease while a reply runs, renews it, and releases it when the reply ends', async () => {
    const finish = deferred();
    const { leases, runner } = setup(() => finish.promise);
    await runner.start();
    runner.startReply(aJob('r1'));
    const first = await eventually(() => {
      const until = leases.leaseEnd('r1');
      expect(until).toBeDefined();
      return until!;
    });
    await eventually(() => expect(leases.leaseEnd('r1')).toBeGreaterThan(first)); // the heartbeat
    finish.resolve();
    await eventually(() => expect(leases.leaseEnd('r1')).toBeUndefined());
    await runner.stop();
  });

  it("ends a reply whose lease ran out in another process with INTERRUPTED, once", async () => {
    const { leases, appended, runner } = setup(async () => undefined);
    await leases.renew([{ ...scope, replyId: 'orphan' }], new Date(Date.now() - 1));
    await runner.start();
    await eventually(() => expect(appended).toEqual([{ ref: { ...scope, replyId: 'orphan' }, event: INTERRUPTED_REPLY }]));
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(appended).toHaveLength(1);
    await runner.stop();
  });

  it('keeps its own running reply when its lease lapsed only because this process stalled', async () => {
    const finish = deferred();
    const { leases, appended, runner } = setup(() => finish.promise);
    await runner.start();
    runner.startReply(aJob('mine'));
    await eventually(() => expect(leases.leaseEnd('mine')).toBeDefined());
    const taken: string[] = [];
    const takeExpired = leases.takeExpired.bind(leases);
    leases.takeExpired = async (now, limit) => {
      const refs = await takeExpired(now, limit);
      taken.push(...refs.map((r) => r.replyId));
      return refs;
    };
    // As if the heartbeat had stalled, until a sweep finds the lease expired before a renewal does.
    await eventually(async () => {
      await leases.renew([{ ...scope, replyId: 'mine' }], new Date(Date.now() - 1));
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
      expect(taken).toContain('mine');
    });
    expect(appended).toEqual([]);
    expect(leases.leaseEnd('mine')).toBeGreaterThan(Date.now());
    finish.resolve();
    await runner.stop();
  });

  it('gives a reply that is still moving another lease instead of interrupting it, and leaves an ended one alone', async () => {
    const { leases, appended, runner } = setup(async () => undefined, { moving: () => 'active', ended: () => 'ended' });
    await leases.renew([{ ...scope, replyId: 'moving' }, { ...scope, replyId: 'ended' }], new Date(Date.now() - 1));
    await runner.start();
    await eventually(() => expect(leases.leaseEnd('moving')).toBeGreaterThan(Date.now()));
    expect(leases.leaseEnd('ended')).toBeUndefined();
    expect(appended).toEqual([]);
    await runner.stop();
  });

  it('puts a lease it could not settle back for the next sweep, and settles the others of the batch', async () => {
    let calls = 0;
    const { leases, appended, runner } = setup(async () => undefined, { broken: () => (calls++ === 0 ? new Error('redis hiccup') : 'interrupted') });
    await leases.renew([{ ...scope, replyId: 'broken' }, { ...scope, replyId: 'fine' }], new Date(Date.now() - 1));
    await runner.start();
    await eventually(() => expect(appended.map((a) => a.ref.replyId).sort()).toEqual(['broken', 'fine']));
    expect(calls).toBe(2);
    await runner.stop();
  });

  it('stops renewing and sweeping once stopped', async () => {
    const { leases, appended, runner } = setup(async () => undefined);
    await runner.start();
    await runner.stop();
    await leases.renew([{ ...scope, replyId: 'later' }], new Date(Date.now() - 1));
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(appended).toEqual([]);
  });
});
