import { createGenerateReply, type ReplyJob } from '../application/generate-reply.use-case';
import type { AppendChatMessages } from '../application/append-chat-messages.use-case';
import type { AppConfig } from '../config';
import type { Database } from '../infra/db/create-database';
import { createMikroConversationQueries } from '../infra/db/repositories/mikro-conversation.queries';
import type { Component } from '../infra/lifecycle';
import { createChatModel } from '../infra/llm/create-chat-model';
import { createTiktokenCounter } from '../infra/llm/tiktoken-counter';
import type { Logger } from '../infra/logger';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRedisHistoryCache } from '../infra/redis/redis-history-cache';
import { createRedisReplyStream } from '../infra/redis/redis-reply-stream';
import { createGenerateQueue } from '../jobs/generate-queue';
import { createGenerateWorker } from '../jobs/generate.worker';

/** Adapters the api and generator roles share: one of each per process. */
export const chatAdapters = (config: AppConfig, deps: { database: Database; redis: RedisClients; logger: Logger }) => {
  const prefix = config.redis.prefix;
  const { chat } = config;
  return {
    queries: createMikroConversationQueries(deps.database),
    cache: createRedisHistoryCache({ client: deps.redis.client(), prefix, ttlSeconds: chat.historyCacheTtlSeconds }),
    replies: createRedisReplyStream({ client: deps.redis.client(), prefix, maxLen: chat.replyStreamMaxLen, ttlSeconds: chat.replyStreamTtlSeconds, logger: deps.logger }),
    // One encoder for the process: its tables are large and live outside the JS heap.
    counter: createTiktokenCounter(),
    queue: createGenerateQueue({ connection: deps.redis.workerConnection(), prefix, logger: deps.logger }),
  };
};

export type ChatAdapters = ReturnType<typeof chatAdapters>;

/**
 * The generate worker (api and generator roles): BullMQ jobs of the generate queue, each one
 * reply generated with the configured model and stored through the outbox writer.
 */
export const generateComponents = (
  config: AppConfig,
  deps: { adapters: ChatAdapters; append: AppendChatMessages; redis: RedisClients; logger: Logger; load: (replyId: string) => Promise<ReplyJob | null> },
): Component[] => {
  const { adapters, logger } = deps;
  if (!config.llm.baseUrl) logger.warn('OPENAI_BASE_URL is not set: replies come from the built-in local model (deterministic echo), not a real LLM');
  const replies = createGenerateReply({ model: createChatModel(config.llm), replies: adapters.replies, append: deps.append, conversations: adapters.queries, cache: adapters.cache, counter: adapters.counter, logger });
  const worker = createGenerateWorker({
    connection: deps.redis.workerConnection(),
    prefix: config.redis.prefix,
    config: config.generate,
    load: deps.load,
    replies,
    drainMs: Math.floor(config.shutdownTimeoutMs / 2),
    logger,
  });
  return [worker];
};
