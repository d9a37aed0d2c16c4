import { createChatSession } from '../../src/cli/chat-client/session';
import type { Terminal } from '../../src/cli/chat-client/terminal';
import { deferred, eventually } from '../support/eventually';
import { scriptedConnection } from '../support/fakes/scripted-connection';

/**
 * A graphql-ws client: sendMessage answers when `sendAnswered` resolves; cancelReply is recorded
 * and, as the server does, ends the reply's stream with ReplyFailed CANCELLED.
 */
const fakeServer = () => {
  const sendAnswered = deferred();
  const cancels: unknown[] = [];
  let endStream: (() => void) | undefined;
  let cancelled = false;
  const connection = scriptedConnection((payload, sink) => {
    if (payload.query.includes('sendMessage')) {
      void sendAnswered.promise.then(() => {
        sink.next({
          data: { sendMessage: { conversation: { id: 'c1' }, userMessage: { id: 'm1', seq: 1 }, replyId: 'r1' } },
        });
        sink.complete();
      });
    } else if (payload.query.includes('cancelReply')) {
      cancels.push(payload.variables?.['replyId']);
      cancelled = true;
      sink.next({ data: { cancelReply: { replyId: 'r1' } } });
      sink.complete();
      endStream?.();
    } else {
      sink.next({ data: { chatStream: { __typename: 'TokenDelta', cursor: '1-0', replyId: 'r1', text: 'so far' } } });
      endStream = () => {
        sink.next({
          data: {
            chatStream: {
              __typename: 'ReplyFailed',
              cursor: '2-0',
              replyId: 'r1',
              code: 'CANCELLED',
              reason: 'stopped',
              partialMessageId: 'r1',
            },
          },
        });
        sink.complete();
      };
      // Stopped before anyone subscribed: the stream already holds its end.
      if (cancelled) endStream();
    }
    return () => undefined;
  });
  return { connection, cancels, sendAnswered, streaming: () => endStream !== undefined };
};

const terminal = () => {
  const notices: string[] = [];
  const output: string[] = [];
  const t: Terminal = {
    write: (text) => void output.push(text),
    notice: (line) => void notices.push(line),
    styled: false,
  };
  return { terminal: t, notices, output };
};

describe('chat CLI: stopping a reply', () => {
  it('sends cancelReply for the reply in flight once, and reports the stop with the saved message id', async () => {
    const server = fakeServer();
    const { terminal: t, notices } = terminal();
    const session = createChatSession(server.connection, t, { thinking: false });
    server.sendAnswered.resolve();
    const sending = session.send('hello');
    await eventually(() => expect(server.streaming()).toBe(true));
    expect(session.stop()).toBe('stopping');
    expect(session.stop()).toBe('already-stopping');
    await expect(sending).resolves.toMatchObject({ kind: 'failed', event: { code: 'CANCELLED' } });
    expect(server.cancels).toEqual(['r1']);
    expect(notices).toContain('[reply stopped; the text so far was saved as message r1]');
    expect(session.stop()).toBe('idle');
  });

  it('stops a reply asked to stop before the send was answered, as soon as its id is known', async () => {
    const server = fakeServer();
    const session = createChatSession(server.connection, terminal().terminal, { thinking: false });
    const sending = session.send('hello');
    expect(session.stop()).toBe('stopping');
    expect(server.cancels).toEqual([]);
    server.sendAnswered.resolve();
    await expect(sending).resolves.toMatchObject({ kind: 'failed', event: { code: 'CANCELLED' } });
    expect(server.cancels).toEqual(['r1']);
  });
});
