import type { CancelReply } from '../application/cancel-reply.use-case';
import type { SendMessage } from '../application/send-message.use-case';
import type { StreamChat } from '../application/stream-chat.use-case';
import type { ConversationQueries } from '../domain/chat/views';
import type { Resolvers } from '../generated/graphql';
import { DateTime } from './date-time.scalar';
import { cancelReplyResolver } from './mutation/cancel-reply.resolver';
import { sendMessageResolver } from './mutation/send-message.resolver';
import { conversationResolver } from './query/conversation.resolver';
import { conversationsResolver } from './query/conversations.resolver';
import { me } from './query/me.resolver';
import { chatStreamResolver } from './subscription/chat-stream.resolver';
import {
  ChatStreamEvent,
  ReasoningDelta,
  ReplyCompleted,
  ReplyFailed,
  ReplyRestarted,
  TokenDelta,
} from './types/chat-stream-event.resolver';
import { ChatMessage, conversationResolvers } from './types/conversation.resolver';
import { sendMessagePayloadResolvers } from './types/send-message-payload.resolver';
import { Viewer } from './viewer.resolver';
import { discardOutboxMessageResolver } from './ops/discard-outbox-message.resolver';
import { outboxMessageResolver } from './ops/outbox-message.resolver';
import { OutboxMessage } from './ops/outbox-message.type.resolver';
import { outboxMessagesResolver } from './ops/outbox-messages.resolver';
import { OutboxStats, outboxStatsResolver } from './ops/outbox-stats.resolver';
import { replayOutboxMessageResolver } from './ops/replay-outbox-message.resolver';
import { replayOutboxMessagesResolver } from './ops/replay-outbox-messages.resolver';
import type { createDiscardOutboxMessage } from '../application/ops/discard-outbox-message.use-case';
import type { createGetOutboxMessage } from '../application/ops/get-outbox-message.use-case';
import type { createListOutboxMessages } from '../application/ops/list-outbox-messages.use-case';
import type { createOutboxStats } from '../application/ops/outbox-stats.use-case';
import type {
  createReplayOutboxMessage,
  createReplayOutboxMessages,
} from '../application/ops/replay-outbox-messages.use-case';

export interface ResolverDeps {
  sendMessage: SendMessage;
  cancelReply: CancelReply;
  streamChat: StreamChat;
  queries: ConversationQueries;
  ops: {
    list: ReturnType<typeof createListOutboxMessages>;
    get: ReturnType<typeof createGetOutboxMessage>;
    stats: ReturnType<typeof createOutboxStats>;
    replay: ReturnType<typeof createReplayOutboxMessage>;
    replayMany: ReturnType<typeof createReplayOutboxMessages>;
    discard: ReturnType<typeof createDiscardOutboxMessage>;
  };
}

/** The resolver map. Each field lives in its own file; this only assembles them. */
export const createResolvers = (deps: ResolverDeps): Resolvers => ({
  DateTime,
  Query: {
    me,
    conversations: conversationsResolver(deps.queries),
    conversation: conversationResolver(deps.queries),
    outboxMessages: outboxMessagesResolver(deps.ops.list),
    outboxMessage: outboxMessageResolver(deps.ops.get),
    outboxStats: outboxStatsResolver(deps.ops.stats),
  },
  Mutation: {
    sendMessage: sendMessageResolver(deps.sendMessage),
    cancelReply: cancelReplyResolver(deps.cancelReply),
    replayOutboxMessage: replayOutboxMessageResolver(deps.ops.replay),
    replayOutboxMessages: replayOutboxMessagesResolver(deps.ops.replayMany),
    discardOutboxMessage: discardOutboxMessageResolver(deps.ops.discard),
  },
  Subscription: { chatStream: chatStreamResolver(deps.streamChat) },
  Viewer,
  Conversation: conversationResolvers(deps.queries),
  ChatMessage,
  SendMessagePayload: sendMessagePayloadResolvers(deps.queries),
  ChatStreamEvent,
  TokenDelta,
  ReasoningDelta,
  ReplyCompleted,
  ReplyFailed,
  ReplyRestarted,
  OutboxMessage,
  OutboxStats,
});
