import { createRecoverAwaitingReplies } from '../../src/application/recover-awaiting-replies.use-case';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { aChatTurn, createReplyWriter } from '../support/fakes/reply-writer';

describe('recover awaiting replies', () => {
  const setup = (requeue: (replyId: string) => Promise<boolean>) => {
    const clock = createFakeClock(new Date('2030-01-01T00:10:00.000Z'));
    const { turns } = createReplyWriter();
    const asked: string[] = [];
    const recover = createRecoverAwaitingReplies({
      turns,
      requeue: (id) => (asked.push(id), requeue(id)),
      clock,
      graceMs: 30_000,
      batch: 10,
      logger: createRecordingLogger(),
    });
    const at = (secondsAgo: number) => new Date(clock.now().getTime() - secondsAgo * 1000);
    return { turns, recover, asked, at };
  };

  it('requeues turns still AWAITING after the grace period, and only those', async () => {
    const { turns, recover, asked, at } = setup(async () => true);
    turns.add(aChatTurn({ replyId: 'old', createdAt: at(120) }));
    turns.add(aChatTurn({ replyId: 'young', createdAt: at(5) }));
    turns.add(aChatTurn({ replyId: 'answered', createdAt: at(120), status: 'REPLIED' }));
    await expect(recover()).resolves.toBe(1);
    expect(asked).toEqual(['old']);
  });

  it('counts only the jobs it added (a waiting or running one is left alone) and goes on past a failed requeue', async () => {
    const { turns, recover, asked, at } = setup(async (id) => {
      if (id === 'broken') throw new Error('redis hiccup');
      return id !== 'running';
    });
    turns.add(aChatTurn({ replyId: 'broken', createdAt: at(300) }));
    turns.add(aChatTurn({ replyId: 'running', createdAt: at(200) }));
    turns.add(aChatTurn({ replyId: 'lost', createdAt: at(100) }));
    await expect(recover()).resolves.toBe(1);
    expect(asked).toEqual(['broken', 'running', 'lost']);
  });
});
