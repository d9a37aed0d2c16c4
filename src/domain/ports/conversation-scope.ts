/** Whose conversation: every cache key and reply stream is scoped by user and conversation. */
export interface ConversationScope {
  readonly userId: string;
  readonly conversationId: string;
}

export type ReplyRef = ConversationScope & { readonly replyId: string };
