import { DEV_JWT_SECRET, envSchema, issuesOf, LEGACY_THINKING_STYLES, type Env } from './env-schema';

export { DEV_JWT_SECRET, loadServicesEnv, type AppRole } from './env-schema';

// The parsed environment mapped to the sections the adapters take; loadConfig is the only way in.

/** The traces URL: the per-signal variable as given, else the base endpoint + /v1/traces (OTLP/HTTP rules). */
const tracesUrl = (env: Env) =>
  env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
  (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : undefined);

const tracingOf = (env: Env) => {
  const url = env.OTEL_SDK_DISABLED ? undefined : tracesUrl(env);
  return {
    enabled: url !== undefined,
    url,
    headers: { ...env.OTEL_EXPORTER_OTLP_HEADERS, ...env.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
    serviceName: env.OTEL_SERVICE_NAME,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG,
  };
};

const llmOf = (env: Env) => ({
  baseUrl: env.OPENAI_BASE_URL,
  apiKey: env.OPENAI_API_KEY,
  timeoutMs: env.MODEL_TIMEOUT_MS,
  provider:
    env.MODEL_PROVIDER ?? (env.MODEL_THINKING_STYLE ? LEGACY_THINKING_STYLES[env.MODEL_THINKING_STYLE] : 'openai'),
  models: {
    WORKER: {
      name: env.MODEL_WORKER,
      contextTokens: env.MODEL_WORKER_CONTEXT_TOKENS,
      maxOutputTokens: env.MODEL_WORKER_MAX_OUTPUT_TOKENS,
      historyLimit: env.MODEL_WORKER_HISTORY_LIMIT,
    },
    STRATEGIST: {
      name: env.MODEL_STRATEGIST,
      contextTokens: env.MODEL_STRATEGIST_CONTEXT_TOKENS,
      maxOutputTokens: env.MODEL_STRATEGIST_MAX_OUTPUT_TOKENS,
      historyLimit: env.MODEL_STRATEGIST_HISTORY_LIMIT,
    },
  },
});

const relayOf = (env: Env) =>
  ({
    batchSize: env.RELAY_BATCH_SIZE,
    concurrency: env.RELAY_CONCURRENCY,
    pollIntervalMs: env.RELAY_POLL_INTERVAL_MS,
    wakeLingerMs: env.RELAY_WAKE_LINGER_MS,
    leaseMs: env.RELAY_LEASE_MS,
    maxAttempts: env.RELAY_MAX_ATTEMPTS,
    backoffBaseMs: env.RELAY_BACKOFF_BASE_MS,
    backoffCapMs: env.RELAY_BACKOFF_CAP_MS,
    blockedProbeCapMs: env.RELAY_BLOCKED_PROBE_CAP_MS,
    sweepAfterMs: env.RELAY_SWEEP_AFTER_MS,
    schedulerRefreshMs: env.RELAY_SCHEDULER_REFRESH_MS,
    retentionMs: env.OUTBOX_RETENTION_MS,
    turnRetentionMs: env.CHAT_TURN_RETENTION_MS,
    retentionBatch: env.OUTBOX_RETENTION_BATCH,
  }) as const;

const dbNameFrom = (url: URL) => decodeURIComponent(url.pathname.replace(/^\//, '')) || 'agent_relay';

const shape = (env: Env) => {
  const dbUrl = new URL(env.DATABASE_URL);
  const production = env.NODE_ENV === 'production';
  const flag = (value: string | undefined, fallback: boolean) =>
    value === undefined ? fallback : value === 'true' || value === '1';
  const host = env.HTTP_HOST ?? (env.NODE_ENV === 'development' ? '127.0.0.1' : '0.0.0.0');
  return {
    env: env.NODE_ENV,
    roles: env.ROLES,
    log: { level: env.LOG_LEVEL },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    http: {
      host,
      port: env.HTTP_PORT,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxCost: env.GRAPHQL_MAX_COST,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxResponseBytes: env.GRAPHQL_MAX_RESPONSE_BYTES,
      /** The most a text field (message content, reasoning, outbox payload) is assumed to hold when a query is estimated. */
      maxContentChars: env.CHAT_MAX_CONTENT_CHARS,
      maxSubscriptionsPerConnection: env.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnectionsPerUser: env.WS_MAX_CONNECTIONS_PER_USER,
      readyzCacheMs: env.READYZ_CACHE_MS,
      /** Apollo Sandbox, introspection and "did you mean" suggestions (HTTP and WebSocket): on outside production unless switched off. */
      sandbox: flag(env.SANDBOX_ENABLED, !production),
      metricsOnHttpPort: flag(env.METRICS_ON_HTTP_PORT, !production),
    },
    metrics: { host, port: env.METRICS_PORT },
    db: {
      url: env.DATABASE_URL,
      driver: dbUrl.protocol === 'mysql:' ? ('mysql' as const) : ('mariadb' as const),
      dbName: dbNameFrom(dbUrl),
      poolMax: env.DATABASE_POOL_MAX,
      debug: env.DATABASE_DEBUG,
    },
    redis: { url: env.REDIS_URL, prefix: env.REDIS_PREFIX },
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      topic: env.KAFKA_TOPIC,
      partitions: env.KAFKA_PARTITIONS,
      groupId: env.KAFKA_CONSUMER_GROUP,
    },
    llm: llmOf(env),
    chat: {
      sendsPerMinute: env.RATE_LIMIT_SEND_PER_MINUTE,
      systemPrompt: env.CHAT_SYSTEM_PROMPT,
      maxContentChars: env.CHAT_MAX_CONTENT_CHARS,
      historyCacheTtlSeconds: env.HISTORY_CACHE_TTL_SECONDS,
      replyStreamMaxLen: env.REPLY_STREAM_MAX_LEN,
      replyStreamTtlSeconds: env.REPLY_STREAM_TTL_SECONDS,
      streamIdleTimeoutMs: env.CHAT_STREAM_IDLE_TIMEOUT_MS,
      streamStartGraceMs: env.CHAT_STREAM_START_GRACE_MS,
    },
    generate: {
      inApi: env.GENERATE_IN_API,
      concurrency: env.GENERATE_CONCURRENCY,
      lockMs: env.GENERATE_LOCK_MS,
      stalledIntervalMs: env.GENERATE_STALLED_INTERVAL_MS,
      maxStalls: env.GENERATE_MAX_STALLS,
      recoverAfterMs: env.GENERATE_RECOVER_AFTER_MS,
      recoverIntervalMs: env.GENERATE_RECOVER_INTERVAL_MS,
    },
    auth: {
      jwtSecret: env.JWT_SECRET ?? DEV_JWT_SECRET,
      usingDevSecret: env.JWT_SECRET === undefined,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    },
    relay: relayOf(env),
    tracing: tracingOf(env),
    consumer: {
      retryBaseMs: env.CONSUMER_RETRY_BASE_MS,
      retryCapMs: env.CONSUMER_RETRY_CAP_MS,
      partitionsConsumedConcurrently: env.CONSUMER_PARTITIONS_CONSUMED_CONCURRENTLY,
      sessionTimeoutMs: env.CONSUMER_SESSION_TIMEOUT_MS,
      maxWaitMs: env.CONSUMER_MAX_WAIT_MS,
      offsetCommitIntervalMs: env.CONSUMER_OFFSET_COMMIT_INTERVAL_MS,
    },
  } as const;
};

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };
export type AppConfig = DeepReadonly<ReturnType<typeof shape>>;

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; errors: string[] };

/** Parses the whole environment and reports every problem at once, one line each. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): ConfigResult => {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    return { ok: false, errors: issuesOf(parsed.error) };
  }
  const errors: string[] = [];
  if (parsed.data.NODE_ENV === 'production' && parsed.data.JWT_SECRET === undefined) {
    errors.push('JWT_SECRET: required when NODE_ENV=production');
  }
  if (parsed.data.CONSUMER_RETRY_CAP_MS >= parsed.data.CONSUMER_SESSION_TIMEOUT_MS) {
    errors.push(
      'CONSUMER_RETRY_CAP_MS: must be below CONSUMER_SESSION_TIMEOUT_MS (a database retry must never outlast the group session)',
    );
  }
  if (parsed.data.CONSUMER_MAX_WAIT_MS * 3 > parsed.data.CONSUMER_SESSION_TIMEOUT_MS) {
    errors.push(
      'CONSUMER_MAX_WAIT_MS: must be at most a third of CONSUMER_SESSION_TIMEOUT_MS (the consumer heartbeats between fetches)',
    );
  }
  if (parsed.data.NODE_ENV === 'production' && parsed.data.JWT_SECRET === DEV_JWT_SECRET) {
    errors.push('JWT_SECRET: the public development secret is refused when NODE_ENV=production');
  }
  if (parsed.data.RELAY_BACKOFF_CAP_MS < parsed.data.RELAY_BACKOFF_BASE_MS) {
    errors.push('RELAY_BACKOFF_CAP_MS: must be at least RELAY_BACKOFF_BASE_MS');
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: shape(parsed.data) };
};

/** Config for logs: secrets replaced, URLs stripped of passwords. */
export const redactConfig = (config: AppConfig) => {
  const stripPassword = (value: string) => {
    const url = new URL(value);
    if (url.password) url.password = '***';
    // Some providers take the key as a query parameter instead.
    for (const key of [...url.searchParams.keys()])
      if (/key|token|secret|sig|password/i.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  };
  return {
    ...config,
    db: { ...config.db, url: stripPassword(config.db.url) },
    redis: { ...config.redis, url: stripPassword(config.redis.url) },
    llm: {
      ...config.llm,
      apiKey: config.llm.apiKey ? '***' : undefined,
      baseUrl: config.llm.baseUrl ? stripPassword(config.llm.baseUrl) : undefined,
    },
    auth: { ...config.auth, jwtSecret: '***' },
    // OTLP headers usually carry the tracing vendor's API key.
    tracing: {
      ...config.tracing,
      url: config.tracing.url && stripPassword(config.tracing.url),
      headers: Object.fromEntries(Object.keys(config.tracing.headers).map((key) => [key, '***'])),
    },
  };
};
