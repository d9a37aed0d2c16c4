import type { ChatSession } from './session';
import type { Terminal } from './terminal';

/**
 * Ctrl-C during a reply: the first stops generating it (cancelReply; the stream still shows
 * its end, and the text so far is saved), a second calls `quit`. With no reply in flight,
 * Ctrl-C calls `quit` at once. Returns the handler and a dispose function.
 *
 * At a terminal, readline turns Ctrl-C into its own 'SIGINT' event (the caller wires it to the
 * handler); with piped stdin, or `kill -INT`, the process gets the signal, handled here too.
 */
export const handleInterrupts = (session: Pick<ChatSession, 'stop'>, terminal: Terminal, quit: () => void) => {
  const interrupt = () => {
    if (session.stop() === 'stopping') terminal.notice('[stopping the reply; press Ctrl-C again to quit]');
    else quit();
  };
  process.on('SIGINT', interrupt);
  return { interrupt, dispose: () => void process.off('SIGINT', interrupt) };
};
