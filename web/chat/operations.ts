/** The GraphQL documents the page sends, and the shapes it reads back. */

export const ME = `query Me { me { userId tokenExpiresAt } }`;

export const CONVERSATIONS = `query Conversations($after: String) {
  conversations(first: 20, after: $after) {
    edges { node { id createdAt messageCount lastMessageAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * Pages of 40: the server budgets a response by its worst case (every content and reasoning at
 * the content limit, JSON-escaped), and 100 messages with both would be refused as
 * RESPONSE_TOO_LARGE; the page reads on while hasNextPage.
 */
export const CONVERSATION = `query Conversation($id: ID!, $after: String) {
  conversation(id: $id) {
    id
    messages(first: 40, after: $after) {
      edges { node { id seq role content reasoning model partial } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** Stop generating: the reply's stream then ends with ReplyFailed CANCELLED (its text so far is kept). */
export const CANCEL_REPLY = `mutation CancelReply($replyId: ID!) {
  cancelReply(replyId: $replyId) { replyId }
}`;

export const SEND_MESSAGE = `mutation Send($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id } userMessage { id } replyId }
}`;

/**
 * Only fields every event has are asked of types this page may not know yet: ReplyRestarted is
 * recognised by its __typename alone, so the document stays valid on a server without it.
 */
export const CHAT_STREAM = `subscription Stream($conversationId: ID!, $replyId: ID, $after: String) {
  chatStream(conversationId: $conversationId, replyId: $replyId, after: $after) {
    __typename cursor replyId
    ... on TokenDelta { text }
    ... on ReasoningDelta { text }
    ... on ReplyCompleted { message { id content reasoning } }
    ... on ReplyFailed { code reason }
  }
}`;

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface ConversationSummary {
  id: string;
  createdAt: string;
  messageCount: number;
  lastMessageAt: string | null;
}

export interface StoredMessage {
  id: string;
  seq: number;
  role: 'USER' | 'ASSISTANT';
  content: string;
  reasoning: string | null;
  model: string | null;
  partial: boolean;
}

export interface ConversationsResult {
  conversations: { edges: { node: ConversationSummary }[]; pageInfo: PageInfo };
}

export interface ConversationResult {
  conversation: { id: string; messages: { edges: { node: StoredMessage }[]; pageInfo: PageInfo } } | null;
}

export interface SendResult {
  sendMessage: { conversation: { id: string }; userMessage: { id: string }; replyId: string };
}

export type ModelChoice = 'WORKER' | 'STRATEGIST';

/** A send as the page keeps it until the API acknowledged it: retried (after a reload too) under the same clientMessageId. */
export interface PendingSend {
  clientMessageId: string;
  conversationId?: string;
  content: string;
  model: ModelChoice;
  thinking: boolean;
}
