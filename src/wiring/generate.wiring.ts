import type { AppendChatMessages } from '../application/append-chat-messages.use-case';
import { createBuildReplyPrompt } from '../application/build-reply-prompt';
import { createGenerateReply } from '../application/generate-reply.use-case';
import { createRecoverAwaitingReplies } from '../application/recover-awaiting-replies.use-case';
import type { AppConfig } from '../config';
import { systemClock } from '../domain/ports/clock';
import type { Tracer } from '../domain/ports/tracer';
import type { Database } from '../infra/db/create-database';
import { createMikroChatTurns } from '../infra/db/repositories/mikro-chat-turns.queries';
import { createMikroConversationQueries } from '../infra/db/repositories/mikro-conversation.queries';
import type { Component } from '../infra/lifecycle';
import { createChatModel } from '../infra/llm/create-chat-model';
import { createTiktokenCounter } from '../infra/llm/tiktoken-counter';
import type { Logger } from '../infra/logger';
import type { ChatMetrics } from '../infra/metrics/chat-metrics';
import type { RedisClients } from '../infra/redis/create-redis';
import { systemScheduler } from '../infra/system-scheduler';
import { createRedisHistoryCache } from '../infra/redis/redis-history-cache';
import { createRedisReplyCancellations } from '../infra/redis/redis-reply-cancellations';
import { createRedisReplyStream } from '../infra/redis/redis-reply-stream';
import { createGenerateQueue } from '../jobs/generate-queue';
import { createGenerateWorker } from '../jobs/generate.worker';

/** Turns recovered per sweep; the next sweep takes the rest. */
const RECOVER_BATCH = 100;

/** Adapters the api and generator roles share: one of each per process. */
export const chatAdapters = (config: AppConfig, deps: { database: Database; redis: RedisClients; logger: Logger }) => {
  const prefix = config.redis.prefix;
  const { chat } = config;
  return {
    queries: createMikroConversationQueries(deps.database),
    turns: createMikroChatTurns(deps.database),
    cache: createRedisHistoryCache({ client: deps.redis.client(), prefix, ttlSeconds: chat.historyCacheTtlSeconds }),
    replies: createRedisReplyStream({
      client: deps.redis.client(),
      prefix,
      maxLen: chat.replyStreamMaxLen,
      ttlSeconds: chat.replyStreamTtlSeconds,
      logger: deps.logger,
    }),
    // One encoder for the process: its tables are large and live outside the JS heap.
    counter: createTiktokenCounter(),
    queue: createGenerateQueue({ connection: deps.redis.workerConnection(), prefix, logger: deps.logger }),
    cancellations: createRedisReplyCancellations({
      client: deps.redis.client(),
      prefix,
      ttlSeconds: chat.replyStreamTtlSeconds,
      logger: deps.logger,
    }),
  };
};

export type ChatAdapters = ReturnType<typeof chatAdapters>;

/**
 * The reply generator use case: the worker runs replies with it, and the api ends with it the
 * replies stopped before any worker started them.
 */
export const replyGenerator = (
  config: AppConfig,
  deps: { adapters: ChatAdapters; append: AppendChatMessages; logger: Logger; metrics: ChatMetrics; tracer?: Tracer },
) => {
  const { adapters, logger } = deps;
  const { llm, chat } = config;
  const { queries, turns, cache, counter } = adapters;
  const buildPrompt = createBuildReplyPrompt({
    conversations: queries,
    cache,
    counter,
    logger,
    chat,
    models: llm.models,
    onCacheRepaired: () => deps.metrics.historyCacheRepairs.inc(),
  });
  return createGenerateReply({
    turns,
    buildPrompt,
    model: createChatModel(llm),
    replies: adapters.replies,
    append: deps.append,
    conversations: queries,
    cache,
    counter,
    logger,
    scheduler: systemScheduler,
    cancellations: adapters.cancellations,
    onRestarted: () => deps.metrics.replyRestarts.inc(),
    onCacheWriteFailed: () => deps.metrics.sendSideEffectFailures.inc({ step: 'reply-history-cache' }),
    tracer: deps.tracer,
  });
};

/**
 * The generate worker (api and generator roles): jobs of the generate queue, each one reply
 * generated with the configured model and stored through the outbox writer, plus the periodic
 * recovery of turns still awaiting their reply.
 */
export const generateComponents = (
  config: AppConfig,
  deps: {
    adapters: ChatAdapters;
    append: AppendChatMessages;
    redis: RedisClients;
    logger: Logger;
    metrics: ChatMetrics;
    tracer?: Tracer;
  },
): Component[] => {
  const { adapters, logger } = deps;
  if (!config.llm.baseUrl)
    logger.warn(
      'OPENAI_BASE_URL is not set: replies come from the built-in local model (deterministic echo), not a real LLM',
    );
  const { turns } = adapters;
  const replies = replyGenerator(config, deps);
  const recover = createRecoverAwaitingReplies({
    turns,
    requeue: (replyId) => adapters.queue.requeue({ replyId }),
    clock: systemClock,
    graceMs: config.generate.recoverAfterMs,
    batch: RECOVER_BATCH,
    logger,
  });
  const worker = createGenerateWorker({
    connection: deps.redis.workerConnection(),
    prefix: config.redis.prefix,
    config: config.generate,
    replies,
    recover,
    drainMs: Math.floor(config.shutdownTimeoutMs / 2),
    logger,
    metrics: deps.metrics,
    cancellations: adapters.cancellations,
  });
  // The cancellations' subscriber starts before the worker, which listens on it.
  return [adapters.cancellations, worker];
};
