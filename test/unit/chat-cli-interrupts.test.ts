import { handleInterrupts } from '../../src/cli/chat-client/interrupts';
import type { ChatSession } from '../../src/cli/chat-client/session';

/** A session whose reply is in flight until `end()`; stop() answers as the real one does. */
const aSession = () => {
  let inFlight = true;
  let stopping = false;
  const session: Pick<ChatSession, 'stop'> = {
    stop: () => {
      if (!inFlight) return 'idle';
      if (stopping) return 'already-stopping';
      stopping = true;
      return 'stopping';
    },
  };
  return { session, end: () => ((inFlight = false), (stopping = false)) };
};

const setup = () => {
  const notices: string[] = [];
  let quits = 0;
  const { session, end } = aSession();
  const interrupts = handleInterrupts(
    session,
    { notice: (line) => notices.push(line), write: () => undefined, styled: false },
    () => (quits += 1),
  );
  return { interrupts, notices, quits: () => quits, end };
};

describe('Ctrl-C in npm run chat', () => {
  it('stops the reply in flight on the first Ctrl-C and says so, without quitting', () => {
    const { interrupts, notices, quits } = setup();
    interrupts.interrupt();
    expect(notices).toEqual(['[stopping the reply; press Ctrl-C again to quit]']);
    expect(quits()).toBe(0);
    interrupts.dispose();
  });

  it('quits on a second Ctrl-C while the reply is stopping', () => {
    const { interrupts, notices, quits } = setup();
    interrupts.interrupt();
    interrupts.interrupt();
    expect(quits()).toBe(1);
    expect(notices).toHaveLength(1);
    interrupts.dispose();
  });

  it('quits at once when no reply is in flight', () => {
    const { interrupts, notices, quits, end } = setup();
    end();
    interrupts.interrupt();
    expect(quits()).toBe(1);
    expect(notices).toEqual([]);
    interrupts.dispose();
  });

  it('handles the process signal (piped stdin, kill -INT) like the terminal key', () => {
    const listeners = process.listenerCount('SIGINT');
    const { interrupts, notices } = setup();
    process.emit('SIGINT');
    expect(notices).toEqual(['[stopping the reply; press Ctrl-C again to quit]']);
    interrupts.dispose();
    expect(process.listenerCount('SIGINT')).toBe(listeners);
  });
});
