import type { ModelChoice } from '../../domain/chat/chat-types';

/** The two operations the chat client needs, and the shapes it reads from their results. */

export const SEND_MESSAGE = `mutation ChatCliSend($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id } userMessage { id seq } replyId }
}`;

export const CHAT_STREAM = `subscription ChatCliStream($conversationId: ID!, $replyId: ID, $after: String) {
  chatStream(conversationId: $conversationId, replyId: $replyId, after: $after) {
    __typename cursor replyId
    ... on TokenDelta { text }
    ... on ReasoningDelta { text }
    ... on ReplyRestarted { reason }
    ... on ReplyCompleted { message { id seq } }
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
  sendMessage: { conversation: { id: string }; userMessage: { id: string; seq: number }; replyId: string };
}

export interface StreamVariables {
  conversationId: string;
  replyId: string;
  after?: string;
}

interface EventBase {
  cursor: string;
  replyId: string;
}

export type ChatStreamEvent =
  | (EventBase & { __typename: 'TokenDelta' | 'ReasoningDelta'; text: string })
  | (EventBase & { __typename: 'ReplyRestarted'; reason: string })
  | (EventBase & { __typename: 'ReplyCompleted'; message: { id: string; seq: number } })
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
