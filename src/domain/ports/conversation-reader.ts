import type { ChatMessagePayload } from '../chat-message-envelope';
import type { HistoryEntry } from '../chat/chat-types';

export interface CommittedMessage {
  readonly messageId: string;
  readonly eventId: string;
  readonly seq: number;
  readonly createdAt: Date;
  readonly payload: ChatMessagePayload;
}

/** Conversations and persisted history as the API reads them. */
export interface ConversationReader {
  /** The owner, or null when the conversation does not exist. */
  ownerOf(conversationId: string): Promise<string | null>;
  /** The newest `limit` committed messages, oldest first: history, plus those still on their way through the outbox. */
  recentHistory(conversationId: string, limit: number): Promise<HistoryEntry[]>;
  /**
   * A message the writer already committed, by its id (from its outbox row, else from history):
   * lets a writer retry tell "my first attempt committed, its answer was lost" from "it failed",
   * and a reply taken over after its worker died end its stream from what was stored.
   */
  committedMessage(conversationId: string, messageId: string): Promise<CommittedMessage | null>;
}
