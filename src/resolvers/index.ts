import type { SendMessage } from '../application/send-message.use-case';
import type { StreamChat } from '../application/stream-chat.use-case';
import type { ConversationQueries } from '../domain/chat/views';
import type { Resolvers } from '../generated/graphql';
import { DateTime } from './date-time.scalar';
import { sendMessageResolver } from './mutation/send-message.resolver';
import { conversationResolver } from './query/conversation.resolver';
import { conversationsResolver } from './query/conversations.resolver';
import { me } from './query/me.resolver';
import { chatStreamResolver } from './subscription/chat-stream.resolver';
import { ChatStreamEvent, ReasoningDelta, ReplyCompleted, ReplyFailed, TokenDelta } from './types/chat-stream-event.resolver';
import { ChatMessage, conversationResolvers } from './types/conversation.resolver';
import { sendMessagePayloadResolvers } from './types/send-message-payload.resolver';
import { Viewer } from './viewer.resolver';

export interface ResolverDeps {
  sendMessage: SendMessage;
  streamChat: StreamChat;
  queries: ConversationQueries;
}

/** The resolver map. Each field lives in its own file; this only assembles them. */
export const createResolvers = (deps: ResolverDeps): Resolvers => ({
  DateTime,
  Query: { me, conversations: conversationsResolver(deps.queries), conversation: conversationResolver(deps.queries) },
  Mutation: { sendMessage: sendMessageResolver(deps.sendMessage) },
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
});
