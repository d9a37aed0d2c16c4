import { createInMemoryChatTurns } from './in-memory-chat-turns';
import type {
  AppendChatMessages,
  AppendChatMessagesInput,
} from '../../../src/application/append-chat-messages.use-case';
import type { ChatTurn } from '../../../src/domain/chat/chat-types';
import type { ChatTurns } from '../../../src/domain/ports/chat-turns';
import type { CommittedMessage } from '../../../src/domain/ports/conversation-reader';
import { chatMessagePayload } from '../../../src/domain/chat-message-envelope';

/** A turn as the writer records it for a send; AWAITING unless told otherwise. */
export const aChatTurn = (overrides: Partial<ChatTurn> = {}): ChatTurn => ({
  replyId: 'reply-1',
  userId: 'u1',
  conversationId: 'c1',
  clientMessageId: null,
  userMessageId: 'user-message-1',
  userSeq: 1,
  contentSha256: '0'.repeat(64),
  model: 'WORKER',
  thinking: false,
  traceparent: null,
  status: 'AWAITING',
  createdAt: new Date('2030-01-01T00:00:00.000Z'),
  ...overrides,
});

/**
 * A writer and its committed messages. With `losesFirstAnswer`, the first call commits (or not, per
 * `commitsBeforeFailing`) and then throws, as when the connection drops right after COMMIT.
 */
export const createReplyWriter = (
  options: { losesFirstAnswer?: boolean; commitsBeforeFailing?: boolean; alwaysFails?: boolean } = {},
) => {
  const committed: CommittedMessage[] = [];
  /** Turns by reply id: an append with completesTurn marks its turn REPLIED, as the real writer does in its transaction. */
  const turnMap = new Map<string, ChatTurn>();
  const calls: AppendChatMessagesInput[] = [];
  const append: AppendChatMessages = async (input) => {
    calls.push(input);
    // What lets a run skip the look-up for an awaiting turn: a reply is stored only by the
    // transaction that completes its turn. Every generate test checks it on every store.
    if (!input.completesTurn) throw new Error('a reply must be stored with completesTurn');
    if (options.alwaysFails) throw new Error('database down');
    // As the real writer's transaction: a reply whose turn no longer awaits it is not stored twice.
    const completes = input.completesTurn ? turnMap.get(input.completesTurn) : undefined;
    if (completes && completes.status !== 'AWAITING')
      return { conversationId: input.conversationId, created: false, messages: [], turnNotAwaiting: true };
    const message = input.messages[0]!;
    const stored: CommittedMessage = {
      messageId: message.messageId!,
      eventId: `event-${calls.length}`,
      seq: 40 + calls.length,
      createdAt: new Date(),
      payload: chatMessagePayload(message.messageId!, message),
    };
    const commit = () => {
      committed.push(stored);
      const turn = input.completesTurn ? turnMap.get(input.completesTurn) : undefined;
      if (turn) turnMap.set(turn.replyId, { ...turn, status: 'REPLIED' });
    };
    if (options.losesFirstAnswer && calls.length === 1) {
      if (options.commitsBeforeFailing) commit();
      throw new Error('connection lost');
    }
    commit();
    return { conversationId: input.conversationId, created: false, messages: [stored] };
  };
  const committedMessage = async (_conversationId: string, messageId: string) =>
    committed.find((m) => m.messageId === messageId) ?? null;
  const table = createInMemoryChatTurns(turnMap);
  const turns: ChatTurns & { add(turn: ChatTurn): void } = {
    ...table,
    // As in the database, where a reply commits in the transaction that moves its turn to
    // REPLIED: a turn whose reply a test put in `committed` reads REPLIED.
    async get(replyId) {
      const turn = await table.get(replyId);
      return turn && committed.some((m) => m.messageId === replyId) ? { ...turn, status: 'REPLIED' } : turn;
    },
    add: (turn) => void turnMap.set(turn.replyId, turn),
  };
  return { append, committedMessage, calls, committed, turns };
};
