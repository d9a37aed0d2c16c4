import type { ModelChoice } from '../../domain/chat/chat-types';

/**
 * The operations the chat client needs, and the shapes it reads from their results. The one
 * definition of them: the tests, the bench and the chaos run send these same documents, so what
 * they measure is what `npm run chat` sends (the selections carry the fields they check too).
 */

export const SEND_MESSAGE = `mutation ChatCliSend($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id } userMessage { id seq createdAt } replyId }
}`;

/** Ctrl-C during a reply: stops generating it (the text so far is saved as a partial message). */
export const CANCEL_REPLY = `mutation ChatCliCancel($replyId: ID!) {
  cancelReply(replyId: $replyId) { replyId }
}`;

export const CHAT_STREAM = `subscription ChatCliStream($conversationId: ID!, $replyId: ID, $after: String) {
  chatStream(conversationId: $conversationId, replyId: $replyId, after: $after) {
    __typename cursor replyId
    ... on TokenDelta { text }
    ... on ReasoningDelta { text }
    ... on ReplyRestarted { reason }
    ... on ReplyCompleted { message { id seq role content reasoning model partial } usage { promptTokens completionTokens } }
    ... on ReplyFailed { code reason partialMessageId }
  }
}`;

export interface SendMessageInput {
  conversationId?: string;
  content: string;
  model?: ModelChoice;
  thinking?: boolean;
  /** One per message, the same on every retry of it: the server stores the message once. */
  clientMessageId?: string;
}

export interface SendMessageData {
  sendMessage: {
    conversation: { id: string };
    userMessage: { id: string; seq: number; createdAt: string };
    replyId: string;
  };
}

export interface StreamVariables {
  conversationId: string;
  replyId: string;
  after?: string;
}

/** The finished reply as ReplyCompleted carries it (the fields CHAT_STREAM asks for). */
export interface CompletedMessage {
  id: string;
  seq: number;
  role: string;
  content: string;
  reasoning: string | null;
  model: string;
  partial: boolean;
}

interface EventBase {
  cursor: string;
  replyId: string;
}

export type ChatStreamEvent =
  | (EventBase & { __typename: 'TokenDelta' | 'ReasoningDelta'; text: string })
  | (EventBase & { __typename: 'ReplyRestarted'; reason: string })
  | (EventBase & {
      __typename: 'ReplyCompleted';
      message: CompletedMessage;
      usage: { promptTokens: number | null; completionTokens: number | null };
    })
  | (EventBase & { __typename: 'ReplyFailed'; code: string; reason: string; partialMessageId: string | null });

export type ReplyFailedEvent = Extract<ChatStreamEvent, { __typename: 'ReplyFailed' }>;

export interface ChatStreamData {
  chatStream: ChatStreamEvent;
}

/** Interactive mode asks this first, so a dead server or bad token shows before anything is typed. */
export const WHO_AM_I = `query ChatCliMe { me { userId } }`;

export interface WhoAmIData {
  me: { userId: string };
}
