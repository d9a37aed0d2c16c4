import { ChatCliError } from './chat-client/errors';
import { execute, openConnection, type Connection } from './chat-client/connection';
import { resolveCredentials } from './chat-client/credentials';
import { runInteractive } from './chat-client/interactive';
import { handleInterrupts } from './chat-client/interrupts';
import { WHO_AM_I, type WhoAmIData } from './chat-client/operations';
import { parseChatArgs, USAGE, type ChatOptions } from './chat-client/options';
import { createChatSession } from './chat-client/session';
import { processTerminal, type Terminal } from './chat-client/terminal';
import { loadConfigOrExit } from './load-config-or-exit';

/**
 * `npm run chat -- "hello"` sends one message and prints the reply as it streams;
 * `npm run chat` starts an interactive chat. See USAGE in chat-client/options.ts.
 */

const connect = async (options: ChatOptions, terminal: Terminal) => {
  let config: ReturnType<typeof loadConfigOrExit> | undefined;
  const credentials = await resolveCredentials({
    url: options.url,
    token: options.token,
    user: options.user,
    env: process.env,
    loadConfig: () => (config ??= loadConfigOrExit()),
    notice: (line) => terminal.notice(line),
  });
  return openConnection(credentials);
};

/** Exit code: 0 when the reply (or the session) ended normally. */
const chat = async (connection: Connection, options: ChatOptions, terminal: Terminal): Promise<number> => {
  const interactive = options.message === undefined;
  const session = createChatSession(connection, terminal, {
    conversationId: options.conversationId,
    model: options.model,
    thinking: options.thinking,
    replyPrefix: interactive ? 'bot> ' : '',
  });
  if (interactive) {
    const { me } = await execute<WhoAmIData>(connection, { query: WHO_AM_I });
    terminal.notice(`connected to ${connection.url} as ${me.userId}`);
    await runInteractive(session, terminal);
    return 0;
  }
  // Ctrl-C: the first stops the reply (its end is still printed), a second stops waiting.
  const watching = new AbortController();
  const interrupts = handleInterrupts(session, terminal, () => watching.abort());
  try {
    const outcome = await session.send(options.message ?? '', watching.signal);
    if (outcome.kind === 'interrupted')
      terminal.notice('[quit while the reply was stopping; its text so far is saved]');
    return outcome.kind === 'completed' ? 0 : 1;
  } finally {
    interrupts.dispose();
  }
};

const main = async (): Promise<number> => {
  const terminal = processTerminal();
  let connection: Connection | undefined;
  try {
    const command = parseChatArgs(process.argv.slice(2));
    if (command.kind === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    connection = await connect(command.options, terminal);
    return await chat(connection, command.options, terminal);
  } catch (error) {
    if (!(error instanceof ChatCliError)) throw error;
    terminal.notice(`chat: ${error.message}`);
    return 1;
  } finally {
    await connection?.dispose();
  }
};

// Exit explicitly: an idle socket or stdin listener must not keep a finished chat alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `chat: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
