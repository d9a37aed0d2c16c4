import { createHash, randomUUID } from 'node:crypto';
import { createBuildReplyPrompt } from '../application/build-reply-prompt';
import type { AppendChatMessages } from '../application/append-chat-messages.use-case';
import { createGenerateReply } from '../application/generate-reply.use-case';
import { createReplyRunner } from '../application/reply-runner';
import { createSendMessage } from '../application/send-message.use-case';
import { createStreamChat } from '../application/stream-chat.use-case';
import type { AppConfig } from '../config';
import type { Database } from '../infra/db/create-database';
import { createMikroChatTurns } from '../infra/db/repositories/mikro-chat-turns.queries';
import { createMikroConversationQueries } from '../infra/db/repositories/mikro-conversation.queries';
import type { ChatMetrics } from '../infra/metrics/chat-metrics';
import { createChatModel } from '../infra/llm/create-chat-model';
import { createTiktokenCounter } from '../infra/llm/tiktoken-counter';
import type { Component } from '../infra/lifecycle';
import type { Logger } from '../infra/logger';
import type { RedisClients } from '../infra/redis/create-redis';
import { createRedisHistoryCache } from '../infra/redis/redis-history-cache';
import { createRedisRateLimiter } from '../infra/redis/redis-rate-limiter';
import { createRedisReplyLeases } from '../infra/redis/redis-reply-leases';
import { createRedisReplyStream } from '../infra/redis/redis-reply-stream';
import type { RelayWaker } from '../domain/ports/relay-waker';
import type { ResolverDeps } from '../resolvers';
import { opsUseCases } from './ops.wiring';

/** The chat side of the api role: use cases for the resolvers and the components they need running. */
export const chatWiring = (config: AppConfig, deps: { database: Database; redis: RedisClients; append: AppendChatMessages; waker: RelayWaker; logger: Logger; metrics: ChatMetrics }) => {
  const { chat, llm } = config;
  const queries = createMikroConversationQueries(deps.database);
  const prefix = config.redis.prefix;
  const cache = createRedisHistoryCache({ client: deps.redis.client(), prefix, ttlSeconds: chat.historyCacheTtlSeconds });
  const replies = createRedisReplyStream({ client: deps.redis.client(), prefix, maxLen: chat.replyStreamMaxLen, ttlSeconds: chat.replyStreamTtlSeconds, logger: deps.logger });
  const model = createChatModel(llm);
  if (!llm.baseUrl) deps.logger.warn('OPENAI_BASE_URL is not set: replies come from the built-in local model (deterministic echo), not a real LLM');
  // One encoder for the process: its tables are large and live outside the JS heap.
  const counter = createTiktokenCounter();
  const generate = createGenerateReply({ model, replies, append: deps.append, conversations: queries, cache, counter, logger: deps.logger });
  const leases = createRedisReplyLeases({ client: deps.redis.client(), prefix });
  const runner = createReplyRunner({ generate, replies, leases, leaseMs: chat.replyLeaseMs, logger: deps.logger, drainMs: Math.floor(config.shutdownTimeoutMs / 2) });
  const turns = createMikroChatTurns(deps.database);
  const buildPrompt = createBuildReplyPrompt({ conversations: queries, cache, counter, logger: deps.logger, chat, models: llm.models, onCacheRepaired: () => deps.metrics.historyCacheRepairs.inc() });
  const sendMessage = createSendMessage({
    rateLimiter: createRedisRateLimiter({ client: deps.redis.client(), prefix, name: 'send', limit: chat.sendsPerMinute, windowMs: 60_000 }),
    conversations: queries,
    cache,
    append: deps.append,
    turns,
    counter,
    ids: { uuid: randomUUID },
    hash: (text) => createHash('sha256').update(text).digest('hex'),
    startReply: async (turn) => {
      const { prompt, window } = await buildPrompt(turn);
      const scope = { userId: turn.userId, conversationId: turn.conversationId };
      runner.startReply({ scope, replyId: turn.replyId, choice: turn.model, thinking: turn.thinking, prompt, window, traceparent: turn.traceparent ?? undefined });
    },
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
  const components: Component[] = [replies, runner];
  return { resolverDeps, components };
};
