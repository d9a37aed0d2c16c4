import { mintToken } from '../../src/infra/auth/jwt';
import type { AppConfig } from '../../src/config';

const SEND = `mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id } userMessage { id seq } replyId }
}`;

interface SendResponse {
  data?: { sendMessage?: { conversation: { id: string }; userMessage: { id: string; seq: number }; replyId: string } };
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** sendMessage over HTTP with a bearer token, as a client would call it. */
export const createApiClient = (url: string, auth: AppConfig['auth']) => {
  const tokens = new Map<string, Promise<string>>();
  const tokenFor = (userId: string) => {
    let token = tokens.get(userId);
    if (!token) tokens.set(userId, (token = mintToken(auth, { userId, ttlSeconds: 6 * 3600 })));
    return token;
  };
  return {
    async send(userId: string, input: { conversationId?: string; content: string }) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
        body: JSON.stringify({ query: SEND, variables: { input: { ...input, model: 'WORKER', thinking: false } } }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json().catch(() => ({}))) as SendResponse;
      const sent = body.data?.sendMessage;
      if (!sent) {
        const error = body.errors?.[0];
        throw new Error(`HTTP ${response.status} ${error?.extensions?.code ?? ''} ${error?.message ?? '(no data)'}`.trim());
      }
      return { conversationId: sent.conversation.id, seq: sent.userMessage.seq, replyId: sent.replyId };
    },
  };
};

export type ApiClient = ReturnType<typeof createApiClient>;
