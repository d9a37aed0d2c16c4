import { createHash, randomUUID } from 'node:crypto';
import { createBuildReplyPrompt } from '../application/build-reply-prompt';
import type { AppendChatMessages } from '../application/append-chat-messages.use-case';
import { createSendMessage } from '../application/send-message.use-case';
import { createStreamChat } from '../application/stream-chat.use-case';
import type { AppConfig } from '../config';
import type { Database } from '../infra/db/create-database';
import { createMikroChatTurns } from '../infra/db/repositories/mikro-chat-turns.queries';
import type { ChatMetrics } from '../infra/metrics/chat-metrics';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRedisRateLimiter } from '../infra/redis/redis-rate-limiter';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { ResolverDeps } from '../resolvers';
import type { ReplyJob } from '../application/generate-reply.use-case';
import type { ChatAdapters } from './generate.wiring';
import { opsUseCases } from './ops.wiring';

/**
 * A generate job's reply, rebuilt from the database: the turn the send recorded (by reply id)
 * and the prompt built for it. Any process with the api or generator role can load it, so a
 * job taken over after its worker died finds what it needs; null once the turn is gone.
 */
export const replyJobLoader = (config: AppConfig, deps: { database: Database; adapters: ChatAdapters; logger: Logger; metrics: ChatMetrics }) => {
  const turns = createMikroChatTurns(deps.database);
  const { queries, cache, counter } = deps.adapters;
  const buildPrompt = createBuildReplyPrompt({ conversations: queries, cache, counter, logger: deps.logger, chat: config.chat, models: config.llm.models, onCacheRepaired: () => deps.metrics.historyCacheRepairs.inc() });
  return async (replyId: string): Promise<ReplyJob | null> => {
    const turn = await turns.get(replyId);
    if (!turn) return null;
    const { prompt, window } = await buildPrompt(turn);
    return { scope: { userId: turn.userId, conversationId: turn.conversationId }, replyId, choice: turn.model, thinking: turn.thinking, prompt, window, ...(turn.traceparent ? { traceparent: turn.traceparent } : {}) };
  };
};

/** The chat side of the api role: use cases for the resolvers and the components they need running. */
export const chatWiring = (
  config: AppConfig,
  deps: { database: Database; redis: RedisClients; append: AppendChatMessages; waker: RelayWaker; logger: Logger; adapters: ChatAdapters; metrics: ChatMetrics },
) => {
  const { chat, llm } = config;
  const prefix = config.redis.prefix;
  const { queries, cache, replies, counter } = deps.adapters;
  const sendMessage = createSendMessage({
    rateLimiter: createRedisRateLimiter({ client: deps.redis.client(), prefix, name: 'send', limit: chat.sendsPerMinute, windowMs: 60_000 }),
    conversations: queries,
    cache,
    append: deps.append,
    turns: createMikroChatTurns(deps.database),
    counter,
    ids: { uuid: randomUUID },
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    // The job carries the reply id only; whichever worker takes it loads the turn (replyJobLoader).
    startReply: (turn) => deps.adapters.queue.enqueue({ replyId: turn.replyId }),
    logger: deps.logger,
    onSideEffectFailed: (step) => deps.metrics.sendSideEffectFailures.inc({ step }),
    chat,
    models: llm.models,
  });
  const resolverDeps: ResolverDeps = {
    sendMessage,
    streamChat: createStreamChat({ conversations: queries, cache, replies }),
    queries,
    ops: opsUseCases({ database: deps.database, waker: deps.waker, logger: deps.logger, redis: deps.redis, prefix }),
  };
  // The reply stream's start() opens the subscriber connection its readers wait on.
  const components: Component[] = [replies];
  return { resolverDeps, components };
};
