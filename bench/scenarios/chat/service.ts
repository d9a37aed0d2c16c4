import type { Client } from 'graphql-ws';
import { CHAT_STREAM, SEND_MESSAGE, type StreamEvent } from '../../../test/support/chat-client';
import { follow, postGraphql } from '../../lib/graphql';

interface SendData {
  sendMessage: { conversation: { id: string }; replyId: string };
}

export interface RoundTiming {
  sendMs: number;
  /** From the start of the sendMessage POST to the first TokenDelta on the subscription. */
  firstTokenMs: number;
  conversationId: string;
}

/**
 * One chat turn as a client does it: sendMessage over HTTP POST, then chatStream over the
 * client's graphql-ws connection until ReplyCompleted. Throws with the reason on any error.
 */
export const chatRound = async (input: {
  url: string;
  token: string;
  ws: Client;
  content: string;
  conversationId?: string;
}): Promise<RoundTiming> => {
  const started = performance.now();
  const sent = await postGraphql<SendData>(
    input.url,
    SEND_MESSAGE,
    { input: { content: input.content, ...(input.conversationId ? { conversationId: input.conversationId } : {}) } },
    input.token,
  );
  const sendMs = performance.now() - started;
  if (sent.errors?.length || !sent.data)
    throw new Error(
      `sendMessage: HTTP ${sent.status} ${sent.errors?.map((e) => e.extensions?.code ?? e.message).join(', ') ?? 'no data'}`,
    );
  const { conversation, replyId } = sent.data.sendMessage;
  let firstTokenMs: number | undefined;
  let failure: string | undefined;
  const outcome = await follow<{ chatStream: StreamEvent }>(
    input.ws,
    CHAT_STREAM,
    { conversationId: conversation.id, replyId },
    ({ chatStream: event }) => {
      if (event.__typename === 'TokenDelta' && firstTokenMs === undefined) firstTokenMs = performance.now() - started;
      if (event.__typename === 'ReplyFailed') failure = `ReplyFailed ${event.code}`;
      return event.__typename === 'ReplyCompleted' || event.__typename === 'ReplyFailed';
    },
  );
  if (outcome.error || failure) throw new Error(`chatStream: ${outcome.error ?? failure}`);
  if (firstTokenMs === undefined) throw new Error('chatStream ended without a token');
  return { sendMs, firstTokenMs, conversationId: conversation.id };
};
