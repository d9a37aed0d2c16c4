import { createOffsetCommitter, type NextOffset } from '../../src/infra/kafka/offset-committer';
import { deferred } from '../support/eventually';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const at = (partition: number, offset: number, topic = 'history'): NextOffset => ({
  topic,
  partition,
  offset: String(offset),
});

const setup = (intervalMs = 1_000) => {
  const scheduler = createFakeScheduler();
  const logger = createRecordingLogger();
  /** Each commit asked for, with the fake time it was asked at (ms since the start). */
  const commits: { atMs: number; offsets: NextOffset[] }[] = [];
  const start = scheduler.now().getTime();
  let failNext = 0;
  const committer = createOffsetCommitter({
    commit: async (offsets) => {
      commits.push({ atMs: scheduler.now().getTime() - start, offsets });
      if (failNext > 0) {
        failNext -= 1;
        throw Object.assign(new Error('The coordinator is not available'), { type: 'COORDINATOR_NOT_AVAILABLE' });
      }
    },
    intervalMs,
    scheduler,
    logger,
  });
  return { committer, scheduler, logger, commits, failNextCommits: (n: number) => (failNext = n) };
};

describe('offset committer', () => {
  it('commits the first offer at once, and resolves the offer when it is done', async () => {
    const { committer, commits } = setup();
    await committer.offer(at(0, 5));
    expect(commits).toEqual([{ atMs: 0, offsets: [at(0, 5)] }]);
  });

  it('coalesces offers within the interval into one trailing commit of the latest offset per partition', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer(at(0, 1));
    await scheduler.advance(100);
    for (const [partition, offset] of [
      [0, 2],
      [1, 7],
      [0, 3],
      [1, 8],
      [0, 4],
    ] as const)
      await committer.offer(at(partition, offset));
    await scheduler.advance(899);
    expect(commits).toHaveLength(1);
    await scheduler.advance(1);
    expect(commits).toEqual([
      { atMs: 0, offsets: [at(0, 1)] },
      { atMs: 1_000, offsets: [at(0, 4), at(1, 8)] },
    ]);
    await scheduler.advance(5_000);
    expect(commits).toHaveLength(2);
    expect(scheduler.pendingSleeps()).toBe(0);
  });

  it('commits at once again when a full interval has passed since the last commit', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer(at(0, 1));
    await scheduler.advance(1_500);
    await committer.offer(at(0, 2));
    expect(commits.map((c) => c.atMs)).toEqual([0, 1_500]);
    expect(scheduler.pendingSleeps()).toBe(0);
  });

  it('commits after every offer at interval 0', async () => {
    const { committer, commits } = setup(0);
    for (const offset of [1, 2, 3]) await committer.offer(at(0, offset));
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 1)], [at(0, 2)], [at(0, 3)]]);
  });

  it('never moves an offset back', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer(at(0, 10));
    await committer.offer(at(0, 5));
    await committer.offer(at(0, 10));
    await scheduler.advance(1_000);
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 10)]]);
    await committer.offer(at(0, 11));
    await committer.offer(at(0, 9));
    await scheduler.advance(1_000);
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 10)], [at(0, 11)]]);
  });

  it('flush commits what is pending now and cancels the trailing commit', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer(at(0, 1));
    await committer.offer(at(0, 2));
    await committer.flush();
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 1)], [at(0, 2)]]);
    await scheduler.advance(5_000);
    expect(commits).toHaveLength(2);
    await committer.flush();
    expect(commits).toHaveLength(2);
  });

  it('flushes through the commit it is given (the stopping consumer’s own link to its group)', async () => {
    const { committer, commits } = setup();
    await committer.offer(at(0, 1));
    await committer.offer(at(0, 2));
    const through: NextOffset[][] = [];
    await committer.flush(async (offsets) => void through.push(offsets));
    expect(through).toEqual([[at(0, 2)]]);
    expect(commits).toHaveLength(1);
  });

  it('commits at once through the commit the offer names (a stopping consumer’s batch)', async () => {
    const { committer, scheduler, commits } = setup();
    const through: NextOffset[][] = [];
    await committer.offer(at(0, 1), async (offsets) => void through.push(offsets));
    await committer.offer(at(0, 2), async (offsets) => void through.push(offsets));
    expect(through).toEqual([[at(0, 1)]]);
    await scheduler.advance(1_000);
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 2)]]);
  });

  it('keeps a failed commit pending, warns, and tries again later, never rejecting the offer', async () => {
    const { committer, scheduler, commits, logger, failNextCommits } = setup();
    failNextCommits(1);
    await expect(committer.offer(at(0, 3))).resolves.toBeUndefined();
    expect(logger.at('warn')).toEqual([expect.objectContaining({ message: expect.stringMatching(/commit failed/) })]);
    await scheduler.advance(1_000);
    expect(commits).toEqual([
      { atMs: 0, offsets: [at(0, 3)] },
      { atMs: 1_000, offsets: [at(0, 3)] },
    ]);
    await scheduler.advance(5_000);
    expect(commits).toHaveLength(2);
  });

  it('retries a failed commit with the newer offset when one was offered meanwhile', async () => {
    const { committer, scheduler, commits, failNextCommits } = setup();
    failNextCommits(1);
    await committer.offer(at(0, 3));
    await committer.offer(at(0, 4));
    await scheduler.advance(1_000);
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 3)], [at(0, 4)]]);
  });

  it('waits at least a second before retrying a failed commit, even at interval 0', async () => {
    const { committer, scheduler, commits, failNextCommits } = setup(0);
    failNextCommits(1);
    await committer.offer(at(0, 3));
    await scheduler.advance(999);
    expect(commits).toHaveLength(1);
    await scheduler.advance(1);
    expect(commits.map((c) => c.atMs)).toEqual([0, 1_000]);
    await committer.offer(at(0, 4));
    expect(commits.map((c) => c.atMs)).toEqual([0, 1_000, 1_000]);
  });

  it('sends one commit at a time: what is offered meanwhile goes in the next one', async () => {
    const scheduler = createFakeScheduler();
    const release = deferred();
    const sent: NextOffset[][] = [];
    const committer = createOffsetCommitter({
      commit: async (offsets) => {
        sent.push(offsets);
        if (sent.length === 1) await release.promise;
      },
      intervalMs: 0,
      scheduler,
      logger: createRecordingLogger(),
    });
    const first = committer.offer(at(0, 1));
    await committer.offer(at(0, 2));
    await committer.offer(at(1, 5));
    expect(sent).toEqual([[at(0, 1)]]);
    release.resolve();
    await first;
    await scheduler.advance(0);
    expect(sent).toEqual([[at(0, 1)], [at(0, 2), at(1, 5)]]);
  });

  it('hands over on a rebalance: commits what is pending at once, and drops it if that fails', async () => {
    const { committer, scheduler, commits, failNextCommits } = setup();
    await committer.offer(at(0, 1));
    await committer.offer(at(0, 2));
    await committer.offer(at(1, 9));
    failNextCommits(1);
    await committer.handOver();
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 1)], [at(0, 2), at(1, 9)]]);
    await scheduler.advance(10_000);
    expect(commits).toHaveLength(2);
    // The partition may come back from an older committed offset: its offsets start over.
    await committer.offer(at(0, 1));
    expect(commits.map((c) => c.offsets).at(-1)).toEqual([at(0, 1)]);
  });

  it('does not put back a commit that failed after a hand-over or discard', async () => {
    const scheduler = createFakeScheduler();
    const fail = deferred();
    const sent: NextOffset[][] = [];
    const committer = createOffsetCommitter({
      commit: async (offsets) => {
        sent.push(offsets);
        if (sent.length === 1) await fail.promise;
      },
      intervalMs: 1_000,
      scheduler,
      logger: createRecordingLogger(),
    });
    const first = committer.offer(at(0, 1));
    committer.discard();
    fail.reject(new Error('ILLEGAL_GENERATION'));
    await first;
    await scheduler.advance(10_000);
    expect(sent).toEqual([[at(0, 1)]]);
  });

  it('discard forgets what is pending and cancels the trailing commit', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer(at(0, 1));
    await committer.offer(at(0, 2));
    committer.discard();
    expect(scheduler.pendingSleeps()).toBe(0);
    await scheduler.advance(5_000);
    await committer.flush();
    expect(commits.map((c) => c.offsets)).toEqual([[at(0, 1)]]);
  });

  it('compares offsets as integers, exactly beyond 2^53', async () => {
    const { committer, scheduler, commits } = setup();
    await committer.offer({ topic: 'history', partition: 0, offset: '9007199254740993' });
    await committer.offer({ topic: 'history', partition: 0, offset: '9007199254740994' });
    await committer.offer({ topic: 'history', partition: 0, offset: '900719925474099' });
    await scheduler.advance(1_000);
    expect(commits.map((c) => c.offsets[0]?.offset)).toEqual(['9007199254740993', '9007199254740994']);
  });
});
