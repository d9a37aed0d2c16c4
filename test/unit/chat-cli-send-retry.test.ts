import { createChatSession } from '../../src/cli/chat-client/session';
import type { Terminal } from '../../src/cli/chat-client/terminal';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';
import { scriptedConnection } from '../support/fakes/scripted-connection';

type Outcome = 'drop' | 'refuse' | 'ok';

/**
 * A graphql-ws client whose sendMessage calls go as scripted (then answer): 'drop' loses the
 * socket (close 1006, as a dropped connection does), 'refuse' cannot connect; chatStream answers
 * with a completed reply.
 */
const fakeConnection = (script: number | Outcome[]) => {
  const outcomes: Outcome[] = typeof script === 'number' ? Array.from({ length: script }, () => 'drop') : script;
  const sends: Record<string, unknown>[] = [];
  const connection = scriptedConnection((payload, sink) => {
    if (payload.query.includes('sendMessage')) {
      sends.push(payload.variables?.['input'] as Record<string, unknown>);
      const outcome = outcomes[sends.length - 1] ?? 'ok';
      if (outcome === 'drop') sink.error({ code: 1006, reason: '' });
      else if (outcome === 'refuse') sink.error(new Error('connect ECONNREFUSED'));
      else {
        sink.next({
          data: { sendMessage: { conversation: { id: 'c1' }, userMessage: { id: 'm1', seq: 1 }, replyId: 'r1' } },
        });
        sink.complete();
      }
    } else {
      sink.next({
        data: {
          chatStream: { __typename: 'ReplyCompleted', cursor: '1-0', replyId: 'r1', message: { id: 'r1', seq: 2 } },
        },
      });
      sink.complete();
    }
    return () => undefined;
  });
  return { connection, sends };
};

const quietTerminal = () => {
  const notices: string[] = [];
  const terminal: Terminal = { write: () => undefined, notice: (line) => void notices.push(line), styled: false };
  return { terminal, notices };
};

describe('chat CLI: a send whose answer was lost', () => {
  it('is sent again with the same client message id until the server answers', async () => {
    const { connection, sends } = fakeConnection(2);
    const { terminal, notices } = quietTerminal();
    const scheduler = createFakeScheduler({ autoAdvance: true });
    const session = createChatSession(connection, terminal, { thinking: false, scheduler });
    await expect(session.send('hello')).resolves.toEqual({ kind: 'completed', messageId: 'r1' });
    // 500 ms before the first resend, doubling.
    expect(scheduler.sleeps).toEqual([500, 1_000]);
    expect(sends).toHaveLength(3);
    expect(new Set(sends.map((s) => s['clientMessageId'])).size).toBe(1);
    expect(sends[0]?.['clientMessageId']).toMatch(/^[0-9a-f-]{36}$/);
    expect(notices.filter((n) => n.includes('sending again'))).toHaveLength(2);
  });

  it('gives each new message an id of its own', async () => {
    const { connection, sends } = fakeConnection(0);
    const session = createChatSession(connection, quietTerminal().terminal, { thinking: false });
    await session.send('one');
    await session.send('two');
    expect(sends[0]?.['clientMessageId']).not.toBe(sends[1]?.['clientMessageId']);
  });

  it('says at once that a server it never reached is not running, but keeps trying one that went away mid-send', async () => {
    const first = fakeConnection(['refuse']);
    await expect(
      createChatSession(first.connection, quietTerminal().terminal, {
        thinking: false,
        scheduler: createFakeScheduler({ autoAdvance: true }),
      }).send('hi'),
    ).rejects.toThrow(/cannot reach the server/);
    expect(first.sends).toHaveLength(1);
    const restarting = fakeConnection(['drop', 'refuse', 'refuse']);
    await expect(
      createChatSession(restarting.connection, quietTerminal().terminal, {
        thinking: false,
        scheduler: createFakeScheduler({ autoAdvance: true }),
      }).send('hi'),
    ).resolves.toMatchObject({ kind: 'completed' });
    expect(restarting.sends).toHaveLength(4);
  });

  it('gives up after the configured attempts with the connection error', async () => {
    const { connection, sends } = fakeConnection(10);
    const session = createChatSession(connection, quietTerminal().terminal, {
      thinking: false,
      sendAttempts: 3,
      scheduler: createFakeScheduler({ autoAdvance: true }),
    });
    await expect(session.send('hello')).rejects.toThrow(/lost the connection/);
    expect(sends).toHaveLength(3);
  });
});
