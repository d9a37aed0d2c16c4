import { mintToken } from '../../src/tooling';
import type { AppConfig } from '../../src/config';

const SEND = `mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id } userMessage { id seq } replyId }
}`;

interface SendResponse {
  data?: { sendMessage?: { conversation: { id: string }; userMessage: { id: string; seq: number }; replyId: string } };
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface SendInput {
  readonly conversationId?: string;
  readonly content: string;
  /** Sent only when the schema has it (see features.ts). */
  readonly clientMessageId?: string;
}

export interface Sent {
  readonly conversationId: string;
  readonly messageId: string;
  readonly seq: number;
  readonly replyId: string;
}

/** A failed call; `code` is the GraphQL error code when the server answered with one. */
export class SendError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Answers that say the send will never succeed as it is: retrying the same input is pointless.
 * Anything else (no answer, a timeout, a 5xx, INTERNAL_SERVER_ERROR) leaves the outcome unknown.
 */
const FINAL_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'IDEMPOTENCY_CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'NOT_FOUND',
  'CONVERSATION_NOT_FOUND',
]);
export const isFinalSendError = (error: unknown) =>
  error instanceof SendError && error.code !== undefined && FINAL_CODES.has(error.code);

const SEND_TIMEOUT_MS = 20_000;

/** sendMessage over HTTP with a bearer token, as a client would call it. */
export const createApiClient = (url: string, auth: AppConfig['auth']) => {
  const tokens = new Map<string, Promise<string>>();
  const tokenFor = (userId: string) => {
    let token = tokens.get(userId);
    if (!token) tokens.set(userId, (token = mintToken(auth, { userId, ttlSeconds: 6 * 3600 })));
    return token;
  };
  return {
    tokenFor,
    async send(userId: string, input: SendInput): Promise<Sent> {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
        body: JSON.stringify({ query: SEND, variables: { input: { ...input, model: 'WORKER', thinking: false } } }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => ({}))) as SendResponse;
      const sent = body.data?.sendMessage;
      if (!sent) {
        const error = body.errors?.[0];
        const code = error?.extensions?.code;
        throw new SendError(`HTTP ${response.status} ${code ?? ''} ${error?.message ?? '(no data)'}`.trim(), code);
      }
      return {
        conversationId: sent.conversation.id,
        messageId: sent.userMessage.id,
        seq: sent.userMessage.seq,
        replyId: sent.replyId,
      };
    },
  };
};

export type ApiClient = ReturnType<typeof createApiClient>;
