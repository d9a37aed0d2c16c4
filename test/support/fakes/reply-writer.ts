import type { AppendChatMessages, AppendChatMessagesInput } from '../../../src/application/append-chat-messages.use-case';
import type { CommittedMessage } from '../../../src/domain/chat/ports';

/**
 * A writer and its committed messages. With `losesFirstAnswer`, the first call commits (or not, per
 * `commitsBeforeFailing`) and then throws, as when the connection drops right after COMMIT.
 */
export const createReplyWriter = (options: { losesFirstAnswer?: boolean; commitsBeforeFailing?: boolean; alwaysFails?: boolean } = {}) => {
  const committed: CommittedMessage[] = [];
  const calls: AppendChatMessagesInput[] = [];
  const append: AppendChatMessages = async (input) => {
    calls.push(input);
    if (options.alwaysFails) throw new Error('database down');
    const message = input.messages[0]!;
    const stored: CommittedMessage = {
      messageId: message.messageId!,
      eventId: `event-${calls.length}`,
      seq: 40 + calls.length,
      createdAt: new Date(),
      payload: { messageId: message.messageId!, role: message.role, content: message.content, reasoning: message.reasoning ?? null, model: message.model ?? null, promptTokens: message.promptTokens ?? null, completionTokens: message.completionTokens ?? null, partial: message.partial ?? false },
    };
    if (options.losesFirstAnswer && calls.length === 1) {
      if (options.commitsBeforeFailing) committed.push(stored);
      throw new Error('connection lost');
    }
    committed.push(stored);
    return { conversationId: input.conversationId, created: false, messages: [stored] };
  };
  const committedMessage = async (_conversationId: string, messageId: string) => committed.find((m) => m.messageId === messageId) ?? null;
  return { append, committedMessage, calls, committed };
};

