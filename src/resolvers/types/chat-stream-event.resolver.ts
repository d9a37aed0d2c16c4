import type { CursoredReplyEvent, ReplyEvent } from '../../domain/chat/chat-types';
import { replyFailureReason } from '../../domain/chat/reply-failure';
import type { MessageView } from '../../domain/chat/views';
import type {
  ChatStreamEventResolvers,
  ReasoningDeltaResolvers,
  ReplyCompletedResolvers,
  ReplyFailedResolvers,
  ReplyRestartedResolvers,
  TokenDeltaResolvers,
} from '../../generated/graphql';

type Kind<K extends ReplyEvent['kind']> = Extract<ReplyEvent, { kind: K }>;
const as = <K extends ReplyEvent['kind']>(e: CursoredReplyEvent, kind: K) => {
  if (e.event.kind !== kind) throw new Error(`expected a ${kind} event, got ${e.event.kind}`);
  return e.event as Kind<K>;
};

const TYPE_NAMES = {
  TOKEN: 'TokenDelta',
  REASONING: 'ReasoningDelta',
  RESTARTED: 'ReplyRestarted',
  COMPLETED: 'ReplyCompleted',
  FAILED: 'ReplyFailed',
} as const;

export const ChatStreamEvent: ChatStreamEventResolvers = {
  __resolveType: (e) => TYPE_NAMES[e.event.kind],
};

export const TokenDelta: TokenDeltaResolvers = { text: (e) => as(e, 'TOKEN').text };
export const ReasoningDelta: ReasoningDeltaResolvers = { text: (e) => as(e, 'REASONING').text };

export const ReplyRestarted: ReplyRestartedResolvers = { reason: (e) => as(e, 'RESTARTED').reason };

export const ReplyCompleted: ReplyCompletedResolvers = {
  message: (e): MessageView => {
    const { message } = as(e, 'COMPLETED');
    return { ...message, role: 'assistant', partial: false, createdAt: new Date(message.createdAt) };
  },
  usage: (e) => {
    const { message } = as(e, 'COMPLETED');
    return { promptTokens: message.promptTokens, completionTokens: message.completionTokens };
  },
};

export const ReplyFailed: ReplyFailedResolvers = {
  code: (e) => as(e, 'FAILED').code,
  // The stored message may be the provider's own text; clients get our wording for the code.
  reason: (e) => replyFailureReason(as(e, 'FAILED').code),
  partialMessageId: (e) => as(e, 'FAILED').partialMessageId,
};
