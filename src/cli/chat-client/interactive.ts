import { createInterface } from 'node:readline';
import { ChatCliError } from './errors';
import { handleInterrupts } from './interrupts';
import type { ChatSession } from './session';
import type { Terminal } from './terminal';

const PROMPT = 'you> ';
const HELP =
  'commands: /new starts a new conversation, /id prints its id, /exit (or Ctrl-D) quits; Ctrl-C stops a reply';

type LineResult = 'continue' | 'exit';

const runCommand = (command: string, session: ChatSession, terminal: Terminal): LineResult => {
  switch (command) {
    case '/exit':
    case '/quit':
      return 'exit';
    case '/new':
      session.startOver();
      terminal.notice('[new conversation: it starts with your next message]');
      return 'continue';
    case '/help':
      terminal.notice(HELP);
      return 'continue';
    case '/id':
      terminal.write(`${session.conversationId ?? '(no conversation yet: send a message to start one)'}\n`);
      return 'continue';
    default:
      terminal.notice(`unknown command ${command}; ${HELP}`);
      return 'continue';
  }
};

const sendLine = async (line: string, session: ChatSession, terminal: Terminal, controller: AbortController) => {
  try {
    const outcome = await session.send(line, controller.signal);
    if (outcome.kind === 'interrupted')
      terminal.notice('[quit while the reply was stopping; its text so far is saved]');
  } catch (error) {
    if (!(error instanceof ChatCliError) || error.fatal) throw error;
    terminal.notice(error.message);
  }
};

/** The read-send-stream loop; resolves when the user quits, rejects on a fatal ChatCliError. */
export const runInteractive = async (
  session: ChatSession,
  terminal: Terminal,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
) => {
  const rl = createInterface({ input, output, prompt: PROMPT });
  let streaming: AbortController | undefined;
  let closed = false;
  rl.once('close', () => (closed = true));
  // Ctrl-C: the first stops the reply in flight, a second (or one at the prompt) quits, like Ctrl-D.
  const interrupts = handleInterrupts(session, terminal, () => {
    streaming?.abort();
    rl.close();
  });
  rl.on('SIGINT', interrupts.interrupt);
  terminal.notice(HELP);
  try {
    rl.prompt();
    // Iterating (rather than listening) queues lines typed or piped while a reply streams.
    for await (const raw of rl) {
      const line = raw.trim();
      if (line.startsWith('/') && runCommand(line, session, terminal) === 'exit') break;
      if (line !== '' && !line.startsWith('/')) {
        streaming = new AbortController();
        await sendLine(line, session, terminal, streaming).finally(() => (streaming = undefined));
      }
      // Input may have ended (Ctrl-D, piped stdin) while the reply streamed: no prompt then.
      if (!closed) rl.prompt();
    }
  } finally {
    interrupts.dispose();
    rl.close();
  }
};
