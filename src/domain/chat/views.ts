import type { ChatMessagePayload } from '../chat-message-envelope';

/** A conversation as the API shows it (read side). */
export interface ConversationView {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly messageCount: number;
  readonly lastMessageAt: Date | null;
}

/** A persisted history message as the API shows it: the event payload plus its place in the conversation. */
export interface MessageView extends Omit<ChatMessagePayload, 'messageId'> {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: Date;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly hasNextPage: boolean;
}

/** Read queries over conversations and persisted history, always scoped to one user. */
export interface ConversationQueries {
  /** Newest first; `after` is the last item of the previous page. */
  listForUser(input: {
    userId: string;
    first: number;
    after?: { createdAt: Date; id: string };
  }): Promise<Page<ConversationView>>;
  findForUser(input: { userId: string; conversationId: string }): Promise<ConversationView | null>;
  /** Oldest first, by seq. */
  messages(input: { conversationId: string; first: number; afterSeq?: number }): Promise<Page<MessageView>>;
}
