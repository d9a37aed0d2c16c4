import { parseArgs } from 'node:util';
import { ChatCliError } from './errors';
import { MODEL_CHOICES, type ModelChoice } from '../../domain/chat/chat-types';

export const USAGE = `usage: npm run chat -- [options] [message]

With a message, sends it, prints the reply as it streams and exits.
Without one, starts a chat: /new starts a new conversation, /id prints its id, /exit or Ctrl-D quits.
Ctrl-C during a reply stops generating it (its text so far is saved); a second Ctrl-C quits.

options:
  --url <url>            GraphQL endpoint (default ws://127.0.0.1:$HTTP_PORT/graphql; http(s) works too)
  --token <jwt>          bearer token (default $AGENT_RELAY_TOKEN, else a development token for --user)
  --user <id>            user id for the development token (default dev-user)
  --conversation <uuid>  continue this conversation
  --model <choice>       WORKER (default) or STRATEGIST
  --thinking             ask for reasoning and show it as it streams
  -h, --help             show this help
`;

export interface ChatOptions {
  /** Normalised to ws(s); undefined means "the local server from config". */
  url?: string;
  token?: string;
  user: string;
  conversationId?: string;
  model?: ModelChoice;
  thinking: boolean;
  /** One-shot mode when set; interactive otherwise. */
  message?: string;
}

export type ParsedCommand = { kind: 'help' } | { kind: 'chat'; options: ChatOptions };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WS_SCHEMES: Readonly<Record<string, string>> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };

/** People paste the URL Sandbox shows (http) or leave off the path; both mean the same endpoint. */
const toWebSocketUrl = (raw: string): string => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ChatCliError(`--url: not a URL: ${raw}`, true);
  }
  const scheme = WS_SCHEMES[url.protocol];
  if (!scheme) throw new ChatCliError(`--url: use ws, wss, http or https, not ${url.protocol.replace(/:$/, '')}`, true);
  url.protocol = scheme;
  if (url.pathname === '/') url.pathname = '/graphql';
  return url.toString();
};

const parseModel = (raw: string | undefined): ModelChoice | undefined => {
  if (raw === undefined) return undefined;
  const model = MODEL_CHOICES.find((choice) => choice === raw.toUpperCase());
  if (!model) throw new ChatCliError(`--model: unknown model "${raw}"; use ${MODEL_CHOICES.join(' or ')}`, true);
  return model;
};

const parseConversation = (raw: string | undefined) => {
  if (raw !== undefined && !UUID.test(raw))
    throw new ChatCliError(`--conversation: "${raw}" is not a conversation id (a UUID)`, true);
  return raw;
};

const readArgs = (argv: readonly string[]) => {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string', default: 'dev-user' },
        conversation: { type: 'string' },
        model: { type: 'string' },
        thinking: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new ChatCliError(
      `${error instanceof Error ? error.message : String(error)}\nsee npm run chat -- --help`,
      true,
    );
  }
};

/** Parses and validates argv up front, so mistakes fail before any connection is made. */
export const parseChatArgs = (argv: readonly string[]): ParsedCommand => {
  const { values, positionals } = readArgs(argv);
  if (values.help) return { kind: 'help' };
  const message = positionals.join(' ').trim();
  if (positionals.length > 0 && message === '') throw new ChatCliError('the message is empty', true);
  return {
    kind: 'chat',
    options: {
      url: values.url === undefined ? undefined : toWebSocketUrl(values.url),
      token: values.token?.replace(/^Bearer\s+/i, ''),
      user: values.user,
      conversationId: parseConversation(values.conversation),
      model: parseModel(values.model),
      thinking: values.thinking,
      message: message === '' ? undefined : message,
    },
  };
};
