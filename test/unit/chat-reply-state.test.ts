import { applyEvent, compareCursors, startReply, type ReplyState, type StreamEvent } from '../../web/chat/reply-state';

const token = (cursor: string, text: string, replyId = 'r1'): StreamEvent => ({
  __typename: 'TokenDelta',
  cursor,
  replyId,
  text,
});
const replay = (state: ReplyState, events: StreamEvent[]) => events.reduce(applyEvent, state);
const fresh = () => startReply({ conversationId: 'c1', replyId: 'r1' });

describe('the chat page reply state', () => {
  it('orders cursors as Redis stream ids, numerically', () => {
    expect(compareCursors('9-0', '10-0')).toBe(-1);
    expect(compareCursors('10-2', '10-10')).toBe(-1);
    expect(compareCursors('10-1', '10-1')).toBe(0);
    expect(compareCursors('1796583571968-1', '1796583571968-0')).toBe(1);
  });

  it('appends tokens and reasoning in order and remembers the last cursor', () => {
    const state = replay(fresh(), [
      { __typename: 'ReasoningDelta', cursor: '1-0', replyId: 'r1', text: 'hmm' },
      token('2-0', 'one'),
      token('3-0', ' two'),
    ]);
    expect(state).toMatchObject({ reasoning: 'hmm', text: 'one two', cursor: '3-0', status: 'streaming' });
  });

  it('ignores events at or before the last cursor, so a re-subscription after a reconnect repeats nothing', () => {
    const before = replay(fresh(), [token('1-0', 'one'), token('2-0', ' two')]);
    const after = replay(before, [token('1-0', 'one'), token('2-0', ' two'), token('3-0', ' three')]);
    expect(after.text).toBe('one two three');
  });

  it('resumes from a saved state (a reload) with no gap: the stored text plus what follows the cursor', () => {
    const saved = JSON.parse(
      JSON.stringify(replay(fresh(), [token('1-0', 'one'), token('2-0', ' two')])),
    ) as ReplyState;
    expect(replay(saved, [token('3-0', ' three'), token('4-0', ' four')]).text).toBe('one two three four');
  });

  it('discards the partial text and reasoning on ReplyRestarted, known by its __typename alone', () => {
    const state = replay(fresh(), [
      { __typename: 'ReasoningDelta', cursor: '1-0', replyId: 'r1', text: 'old' },
      token('2-0', 'stale'),
      { __typename: 'ReplyRestarted', cursor: '3-0', replyId: 'r1' },
      token('4-0', 'fresh'),
    ]);
    expect(state).toMatchObject({ text: 'fresh', reasoning: '', cursor: '4-0' });
  });

  it('ends with the stored message on ReplyCompleted and with the code on ReplyFailed, ignoring anything after', () => {
    const completed = replay(fresh(), [
      token('1-0', 'partial'),
      {
        __typename: 'ReplyCompleted',
        cursor: '2-0',
        replyId: 'r1',
        message: { id: 'r1', content: 'whole text', reasoning: null },
      },
      token('3-0', ' late'),
    ]);
    expect(completed).toMatchObject({ status: 'completed', text: 'whole text', messageId: 'r1' });
    const failed = replay(fresh(), [
      token('1-0', 'part'),
      {
        __typename: 'ReplyFailed',
        cursor: '2-0',
        replyId: 'r1',
        code: 'MODEL_TIMEOUT',
        reason: 'the model took too long',
      },
    ]);
    expect(failed).toMatchObject({
      status: 'failed',
      text: 'part',
      failure: { code: 'MODEL_TIMEOUT', reason: 'the model took too long' },
    });
  });

  it("ignores another reply's events and unknown event types beyond their cursor", () => {
    const state = replay(fresh(), [
      token('1-0', 'mine'),
      token('2-0', 'theirs', 'r2'),
      { __typename: 'SomethingNew', cursor: '3-0', replyId: 'r1' },
      token('4-0', '!'),
    ]);
    expect(state).toMatchObject({ text: 'mine!', cursor: '4-0' });
  });
});
