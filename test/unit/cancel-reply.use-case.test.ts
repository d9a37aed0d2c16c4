import { createCancelReply } from '../../src/application/cancel-reply.use-case';
import type { ChatTurn } from '../../src/domain/chat/chat-types';
import { AppError } from '../../src/domain/errors';
import { createInMemoryChatTurns } from '../support/fakes/in-memory-chat-turns';
import { createInMemoryReplyCancellations } from '../support/fakes/in-memory-reply-cancellations';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { aChatTurn } from '../support/fakes/reply-writer';

const setup = (turn: ChatTurn, options: { started?: boolean } = {}) => {
  const table = new Map([[turn.replyId, turn]]);
  const cancellations = createInMemoryReplyCancellations();
  const dropped: string[] = [];
  const ended: string[] = [];
  const cancelReply = createCancelReply({
    turns: createInMemoryChatTurns(table),
    cancellations,
    dropUnstarted: async (replyId) => (dropped.push(replyId), !options.started),
    // As the generator's giveUp does: the partial message commits and completes the turn.
    endUnstarted: async (replyId) => {
      ended.push(replyId);
      table.set(replyId, { ...turn, status: 'REPLIED' });
    },
    logger: createRecordingLogger(),
  });
  return { cancelReply, cancellations, dropped, ended, table };
};

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
};

describe('cancel reply', () => {
  const turn = aChatTurn({ replyId: 'reply-1', userId: 'ann', conversationId: 'conv-1' });

  it('notifies the workers of a reply a worker runs, and leaves its end to that worker', async () => {
    const { cancelReply, cancellations, ended } = setup(turn, { started: true });
    await expect(cancelReply({ userId: 'ann', replyId: 'reply-1' })).resolves.toEqual({
      replyId: 'reply-1',
      conversationId: 'conv-1',
    });
    expect(cancellations.notified).toEqual(['reply-1']);
    await expect(cancellations.isRequested('reply-1')).resolves.toBe(true);
    expect(ended).toEqual([]);
  });

  it('takes a reply no worker started out of the queue and ends it itself', async () => {
    const { cancelReply, dropped, ended } = setup(turn, { started: false });
    await cancelReply({ userId: 'ann', replyId: 'reply-1' });
    expect(dropped).toEqual(['reply-1']);
    expect(ended).toEqual(['reply-1']);
  });

  it('answers a second request the same, without ending the reply twice, before and after it ended', async () => {
    const { cancelReply, cancellations, ended } = setup(turn, { started: false });
    const first = await cancelReply({ userId: 'ann', replyId: 'reply-1' });
    await expect(cancelReply({ userId: 'ann', replyId: 'reply-1' })).resolves.toEqual(first);
    expect(ended).toEqual(['reply-1']);
    expect(cancellations.notified).toEqual(['reply-1']);
  });

  it('answers a repeat the same while the worker is still stopping the reply', async () => {
    const { cancelReply, cancellations } = setup(turn, { started: true });
    const first = await cancelReply({ userId: 'ann', replyId: 'reply-1' });
    await expect(cancelReply({ userId: 'ann', replyId: 'reply-1' })).resolves.toEqual(first);
    expect(cancellations.notified).toEqual(['reply-1']);
  });

  it("is NOT_FOUND for another user's reply, and records nothing", async () => {
    const { cancelReply, cancellations } = setup(turn);
    expect(await rejection(cancelReply({ userId: 'bob', replyId: 'reply-1' }))).toBe('NOT_FOUND');
    expect(cancellations.notified).toEqual([]);
  });

  it('is NOT_FOUND for an unknown reply', async () => {
    const { cancelReply } = setup(turn);
    expect(await rejection(cancelReply({ userId: 'ann', replyId: 'no-such-reply' }))).toBe('NOT_FOUND');
  });

  it('is REPLY_FINISHED for a reply that ended without a stop request, and records nothing', async () => {
    const { cancelReply, cancellations } = setup({ ...turn, status: 'REPLIED' });
    expect(await rejection(cancelReply({ userId: 'ann', replyId: 'reply-1' }))).toBe('REPLY_FINISHED');
    expect(cancellations.notified).toEqual([]);
  });
});
