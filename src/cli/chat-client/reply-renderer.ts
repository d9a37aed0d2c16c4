import type { ChatStreamEvent } from './operations';
import type { Terminal } from './terminal';

const DIM = '\x1b[2m';
const NORMAL = '\x1b[22m';
const REASONING_LABEL = 'thinking: ';

export interface ReplyRenderer {
  event(event: ChatStreamEvent): void;
  /** Ends the reply's line, whatever state the stream stopped in. */
  end(): void;
}

/**
 * Prints one reply as it streams: `prefix` (e.g. "bot> ") before the first event, then
 * labelled reasoning, then the reply text on its own line. Each reasoning chunk is dimmed
 * on its own, so an interrupted stream never leaves the terminal dim.
 */
export const createReplyRenderer = (terminal: Terminal, prefix = ''): ReplyRenderer => {
  let state: 'idle' | 'reasoning' | 'text' = 'idle';
  let lineOpen = false;
  const write = (text: string, dim = false) => {
    if (text === '') return;
    terminal.write(dim && terminal.styled ? `${DIM}${text}${NORMAL}` : text);
    lineOpen = !text.endsWith('\n');
  };
  const start = () => {
    if (state === 'idle') write(prefix);
  };
  const reasoning = (text: string) => {
    start();
    if (state !== 'reasoning') write(REASONING_LABEL, true);
    state = 'reasoning';
    write(text, true);
  };
  const token = (text: string) => {
    start();
    if (state === 'reasoning' && lineOpen) write('\n');
    if (state === 'reasoning') write(' '.repeat(prefix.length));
    state = 'text';
    write(text);
  };
  // Printed text cannot be taken back: end its line, say (on stderr) that the reply starts over, print it again.
  const restarted = (reason: string) => {
    if (lineOpen) write('\n');
    terminal.notice(`[the reply starts over: ${reason}]`);
    state = 'idle';
  };
  return {
    event(event) {
      if (event.__typename === 'ReasoningDelta') reasoning(event.text);
      else if (event.__typename === 'TokenDelta') token(event.text);
      else if (event.__typename === 'ReplyRestarted') restarted(event.reason);
    },
    end() {
      if (lineOpen) write('\n');
    },
  };
};
