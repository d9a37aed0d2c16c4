import { createHash, randomUUID } from 'node:crypto';
import type { AppendChatMessages } from '../application/append-chat-messages.use-case';
import { CANCELLED_REPLY } from '../application/reply-ends';
import { createCancelReply } from '../application/cancel-reply.use-case';
import { createSendMessage } from '../application/send-message.use-case';
import { createStreamChat, replyStateFromTurns } from '../application/stream-chat.use-case';
import type { AppConfig } from '../config';
import type { Database } from '../infra/db/create-database';
import type { ChatMetrics } from '../infra/metrics/chat-metrics';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import { systemScheduler } from '../infra/system-scheduler';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRedisRateLimiter } from '../infra/redis/redis-rate-limiter';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { ResolverDeps } from '../resolvers';
import { replyGenerator, type ChatAdapters } from './generate.wiring';
import { opsUseCases } from './ops.wiring';

/** The chat side of the api role: use cases for the resolvers and the components they need running. */
export const chatWiring = (
  config: AppConfig,
  deps: {
    database: Database;
    redis: RedisClients;
    append: AppendChatMessages;
    waker: RelayWaker;
    logger: Logger;
    metrics: ChatMetrics;
    adapters: ChatAdapters;
  },
) => {
  const { chat, llm } = config;
  const { queries, cache, replies, counter, turns, queue } = deps.adapters;
  const sendMessage = createSendMessage({
    rateLimiter: createRedisRateLimiter({
      client: deps.redis.client(),
      prefix: config.redis.prefix,
      name: 'send',
      limit: chat.sendsPerMinute,
      windowMs: 60_000,
    }),
    conversations: queries,
    cache,
    append: deps.append,
    turns,
    counter,
    ids: { uuid: randomUUID },
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    // Whichever worker takes the job loads the turn and builds the prompt; the job's copy of the
    // turn's prompt key lets it start those reads alongside its read of the turn (kept when they agree).
    startReply: ({ replyId, userId, conversationId, userSeq, model }) =>
      queue.enqueue({ replyId, turn: { replyId, userId, conversationId, userSeq, model } }),
    logger: deps.logger,
    onSideEffectFailed: (step) => deps.metrics.sendSideEffectFailures.inc({ step }),
    chat,
    models: llm.models,
  });
  const generator = replyGenerator(config, deps);
  const cancelReply = createCancelReply({
    turns,
    cancellations: deps.adapters.cancellations,
    dropUnstarted: (replyId) => queue.dropUnstarted(replyId),
    endUnstarted: async (replyId) => {
      await generator.giveUp(replyId, CANCELLED_REPLY);
      deps.metrics.repliesCancelled.inc({ ended_by: 'api' });
    },
    logger: deps.logger,
  });
  const resolverDeps: ResolverDeps = {
    sendMessage,
    cancelReply,
    streamChat: createStreamChat({
      conversations: queries,
      cache,
      replies,
      replyState: replyStateFromTurns({ turns, conversations: queries }),
      logger: deps.logger,
      idleTimeoutMs: chat.streamIdleTimeoutMs,
      startGraceMs: chat.streamStartGraceMs,
      scheduler: systemScheduler,
    }),
    queries,
    ops: opsUseCases({
      database: deps.database,
      waker: deps.waker,
      logger: deps.logger,
      redis: deps.redis,
      prefix: config.redis.prefix,
    }),
  };
  // The reply stream's start() opens the subscriber connection its readers wait on.
  const components: Component[] = [replies];
  return { resolverDeps, components };
};
