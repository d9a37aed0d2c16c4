import { z } from 'zod';
import { MODEL_PROVIDERS, type ModelProvider } from '../infra/llm/provider-profiles';

/** MODEL_THINKING_STYLE, the older switch, as the provider profile it meant. */
export const LEGACY_THINKING_STYLES: Record<'ark' | 'qwen' | 'none', ModelProvider> = {
  ark: 'ark',
  qwen: 'vllm',
  none: 'generic',
};

/**
 * The environment's variables, their defaults and their checks (zod). Configuration is parsed once,
 * in ./index.ts, from the environment. No other file reads
 * process.env. Empty strings count as unset, so `FOO=` in a shell falls back to the
 * documented default instead of failing on a blank value.
 */

/** `generator` runs only reply generation (the `api` role generates too); the default runs everything. */
const APP_ROLES = ['api', 'relay', 'consumer', 'generator'] as const;
export type AppRole = (typeof APP_ROLES)[number];
const DEFAULT_ROLES = 'api,relay,consumer';

/** Public (it is in this file): production refuses it even when set explicitly. */
export const DEV_JWT_SECRET = 'agent-relay-development-secret-change-me-0123456789';
/** HS256 wants at least as many secret bytes as the hash has (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

const unset = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const str = (fallback: string) => z.preprocess(unset, z.string().default(fallback));
const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unset, z.coerce.number().int().min(min).max(max).default(fallback));
const bool = (fallback: boolean) =>
  z
    .preprocess(unset, z.enum(['true', 'false', '1', '0']).optional())
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

const urlWithScheme = (schemes: readonly string[], fallback: string) =>
  z.preprocess(
    unset,
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          try {
            return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        `must be a URL with scheme ${schemes.join(' or ')}`,
      ),
  );

const optionalUrlWithScheme = (schemes: readonly string[]) =>
  z.preprocess(
    unset,
    z
      .string()
      .refine(
        (value) => URL.canParse(value) && schemes.includes(new URL(value).protocol.replace(/:$/, '')),
        `must be a URL with scheme ${schemes.join(' or ')}`,
      )
      .optional(),
  );

const rolesList = z.preprocess(
  unset,
  z
    .string()
    .default(DEFAULT_ROLES)
    .transform((value) =>
      value
        .split(',')
        .map((role) => role.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.enum(APP_ROLES, {
            error: (issue) => `unknown role "${String(issue.input)}" (roles are ${APP_ROLES.join(', ')})`,
          }),
        )
        .min(1, 'at least one role'),
    ),
);

const brokerList = z.preprocess(
  unset,
  z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port')).min(1)),
);

/** OTLP headers as the OTel spec writes them: `key=value,key2=value2`, values URL-encoded. */
const otlpHeaders = z.preprocess(
  unset,
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const headers: Record<string, string> = {};
      for (const pair of value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const at = pair.indexOf('=');
        try {
          if (at <= 0) throw new Error('not key=value');
          headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
        } catch {
          // The pair's key only: its value may be a secret.
          ctx.addIssue({ code: 'custom', message: `"${pair.split('=')[0]}" is not key=value (value URL-encoded)` });
          return z.NEVER;
        }
      }
      return headers;
    }),
);

const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * OpenTelemetry tracing, from the standard OTel variables. Tracing is off (a no-op tracer, no
 * exporter) unless an OTLP endpoint is set; OTEL_SDK_DISABLED switches it off regardless.
 */
const tracingSchema = z.object({
  OTEL_SDK_DISABLED: bool(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrlWithScheme(['http', 'https']),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrlWithScheme(['http', 'https']),
  OTEL_EXPORTER_OTLP_HEADERS: otlpHeaders,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: otlpHeaders,
  OTEL_SERVICE_NAME: str('agent-relay'),
  OTEL_TRACES_SAMPLER: z.preprocess(unset, z.enum(TRACE_SAMPLERS).default('parentbased_always_on')),
  OTEL_TRACES_SAMPLER_ARG: z.preprocess(unset, z.coerce.number().min(0).max(1).default(1)),
});

export const envSchema = z
  .object({
    NODE_ENV: z.preprocess(unset, z.enum(['development', 'test', 'production']).default('development')),
    LOG_LEVEL: z.preprocess(
      unset,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    ROLES: rolesList,
    /** Unset: loopback in development (nothing reachable from the network by accident), all interfaces otherwise. */
    HTTP_HOST: z.preprocess(unset, z.string().optional()),
    HTTP_PORT: int(4000, 0, 65535),
    HTTP_BODY_LIMIT_BYTES: int(1_000_000, 1_000),
    /** Metrics-only listener for processes without the api role (the api serves /metrics itself). */
    METRICS_PORT: int(9464, 0, 65535),
    GRAPHQL_MAX_DEPTH: int(12, 2, 100),
    GRAPHQL_MAX_COST: int(20_000, 10),
    /** Lexical tokens per document, counted by graphql-js while parsing: a longer document is refused before validation. */
    GRAPHQL_MAX_TOKENS: int(2_000, 50, 1_000_000),
    GRAPHQL_MAX_ALIASES: int(15, 0, 10_000),
    /** Response data one operation may make the API hold (estimated before, counted while resolving). */
    GRAPHQL_MAX_RESPONSE_BYTES: int(32_000_000, 100_000),
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int(20, 1, 1000),
    /** graphql-ws connections one user may hold open at once, per API process. */
    WS_MAX_CONNECTIONS_PER_USER: int(10, 1, 100_000),
    /** A chatStream subscription that received no event for this long completes. */
    CHAT_STREAM_IDLE_TIMEOUT_MS: int(300_000, 100),
    /** How long chatStream waits for a reply it cannot find yet (just sent: no event, no lease) before NOT_FOUND. */
    CHAT_STREAM_START_GRACE_MS: int(0, 0, 60_000),
    /** /readyz answers from one check for this long, so polling it cannot load the dependencies. */
    READYZ_CACHE_MS: int(1_000, 0, 60_000),
    /** /metrics on the public HTTP port; off by default in production (the METRICS_PORT listener serves it there). */
    METRICS_ON_HTTP_PORT: z.preprocess(unset, z.enum(['true', 'false', '1', '0']).optional()),
    RATE_LIMIT_SEND_PER_MINUTE: int(30, 1),
    SANDBOX_ENABLED: z.preprocess(unset, z.enum(['true', 'false', '1', '0']).optional()),
    SHUTDOWN_TIMEOUT_MS: int(10_000, 100),
    DATABASE_URL: urlWithScheme(['mariadb', 'mysql'], 'mariadb://root@127.0.0.1:3306/agent_relay'),
    DATABASE_POOL_MAX: int(10, 1, 200),
    DATABASE_DEBUG: bool(false),
    REDIS_URL: urlWithScheme(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
    REDIS_PREFIX: str('agent-relay'),
    KAFKA_BROKERS: brokerList,
    KAFKA_CLIENT_ID: str('agent-relay'),
    KAFKA_TOPIC: z.preprocess(
      unset,
      z
        .string()
        .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'invalid Kafka topic name')
        .default('agent-relay.chat-messages'),
    ),
    KAFKA_PARTITIONS: int(6, 1, 1000),
    KAFKA_CONSUMER_GROUP: str('agent-relay-history'),
    OPENAI_BASE_URL: z.preprocess(unset, z.url().optional()),
    OPENAI_API_KEY: z.preprocess(unset, z.string().optional()),
    MODEL_WORKER: str('gpt-4o-mini'),
    MODEL_STRATEGIST: str('o3-mini'),
    MODEL_WORKER_CONTEXT_TOKENS: int(128_000, 256),
    MODEL_WORKER_MAX_OUTPUT_TOKENS: int(4_096, 16),
    MODEL_WORKER_HISTORY_LIMIT: int(200, 1, 4096),
    MODEL_STRATEGIST_CONTEXT_TOKENS: int(200_000, 256),
    MODEL_STRATEGIST_MAX_OUTPUT_TOKENS: int(8_192, 16),
    MODEL_STRATEGIST_HISTORY_LIMIT: int(400, 1, 4096),
    MODEL_TIMEOUT_MS: int(120_000, 1000),
    /** The provider's request dialect (output limit field, thinking switch): src/infra/llm/provider-profiles.ts. */
    MODEL_PROVIDER: z.preprocess(unset, z.enum(MODEL_PROVIDERS).optional()),
    /** Deprecated: ark → MODEL_PROVIDER=ark, qwen → vllm, none → generic; MODEL_PROVIDER wins when both are set. */
    MODEL_THINKING_STYLE: z.preprocess(unset, z.enum(['ark', 'qwen', 'none']).optional()),
    CHAT_SYSTEM_PROMPT: str('You are a helpful assistant.'),
    CHAT_MAX_CONTENT_CHARS: int(32_000, 1, 1_000_000),
    HISTORY_CACHE_TTL_SECONDS: int(86_400, 1),
    REPLY_STREAM_MAX_LEN: int(10_000, 10),
    REPLY_STREAM_TTL_SECONDS: int(3_600, 10),
    /** Off: api processes only take sends and serve streams, and `generator` processes generate. */
    GENERATE_IN_API: bool(true),
    GENERATE_CONCURRENCY: int(50, 1, 1000),
    GENERATE_LOCK_MS: int(10_000, 500),
    GENERATE_STALLED_INTERVAL_MS: int(5_000, 100),
    GENERATE_MAX_STALLS: int(2, 0, 100),
    GENERATE_RECOVER_AFTER_MS: int(30_000, 100),
    GENERATE_RECOVER_INTERVAL_MS: int(10_000, 100),
    JWT_SECRET: z.preprocess(
      unset,
      z
        .string()
        .refine((v) => Buffer.byteLength(v, 'utf8') >= MIN_SECRET_BYTES, `must be at least ${MIN_SECRET_BYTES} bytes`)
        .optional(),
    ),
    JWT_ISSUER: str('agent-relay'),
    JWT_AUDIENCE: str('agent-relay'),
    RELAY_BATCH_SIZE: int(1_000, 1, 10_000),
    RELAY_CONCURRENCY: int(2, 1, 16),
    /**
     * The safety-net scan, for wake-ups lost to a Redis failure and claims left by a relay that
     * died: commits wake the relay, and it wakes itself for backoff and broker probes.
     */
    RELAY_POLL_INTERVAL_MS: int(5_000, 50),
    /**
     * How long a relay waits after a writer's wake-up before it claims, so that the commits of
     * that time share one round: CPU per message against latency. Only in a trickle (lingerFor in
     * infra/redis/redis-relay-wake.ts): a busy relay or a sparse one claims at once
     * (bench/README.md, "Ninth round"). 0 turns it off.
     */
    RELAY_WAKE_LINGER_MS: int(5, 0, 1_000),
    RELAY_LEASE_MS: int(30_000, 1000),
    RELAY_MAX_ATTEMPTS: int(10, 1, 1000),
    RELAY_BACKOFF_BASE_MS: int(500, 1),
    RELAY_BACKOFF_CAP_MS: int(300_000, 1),
    /** While the broker is unavailable the relay pauses; its probes back off from RELAY_BACKOFF_BASE_MS up to this. */
    RELAY_BLOCKED_PROBE_CAP_MS: int(10_000, 100, 300_000),
    RELAY_SWEEP_AFTER_MS: int(300_000, 1000),
    RELAY_SCHEDULER_REFRESH_MS: int(30_000, 100),
    OUTBOX_RETENTION_MS: int(7 * 24 * 3600 * 1000, 0),
    /** How long a replied turn (and so its clientMessageId) is kept: a repeat after this is a new message. */
    CHAT_TURN_RETENTION_MS: int(7 * 24 * 3600 * 1000, 60_000),
    OUTBOX_RETENTION_BATCH: int(5000, 1, 100_000),
    CONSUMER_RETRY_BASE_MS: int(200, 1),
    /** Must stay below CONSUMER_SESSION_TIMEOUT_MS (checked in loadConfig). */
    CONSUMER_RETRY_CAP_MS: int(5_000, 1),
    CONSUMER_PARTITIONS_CONSUMED_CONCURRENTLY: int(3, 1, 64),
    CONSUMER_SESSION_TIMEOUT_MS: int(10_000, 6_000, 300_000),
    /**
     * How long the broker may hold an empty fetch. Records are answered at once whatever this is
     * (the fetch asks for one byte), so it sets only the idle consumer's fetch rate: 100 ms cost an
     * idle process 10 fetch round trips a second. Checked against the session timeout in loadConfig.
     */
    CONSUMER_MAX_WAIT_MS: int(500, 10, 10_000),
    /**
     * The consumer commits its offsets at most once per this interval (0: after every batch). At a
     * trickle nearly every record is its own batch, and one OffsetCommit each meant a broker request
     * (CPU here and in the broker) per record; what is not yet committed is delivered again after a crash or rebalance,
     * harmless under the dedup by event id, and a lagging committed offset only makes the sweeper
     * more cautious.
     */
    CONSUMER_OFFSET_COMMIT_INTERVAL_MS: int(1_000, 0, 60_000),
  })
  .extend(tracingSchema.shape);

export type Env = z.infer<typeof envSchema>;

/** Where MariaDB, Redis and Kafka are: the stack script (scripts/stack.ts) reads these with the app's own rules and defaults. */
const servicesSchema = envSchema.pick({
  DATABASE_URL: true,
  REDIS_URL: true,
  KAFKA_BROKERS: true,
  KAFKA_TOPIC: true,
  KAFKA_PARTITIONS: true,
});
export type ServicesEnv = z.infer<typeof servicesSchema>;

export const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => `${String(issue.path[0] ?? '(env)')}: ${issue.message}`);

/** Only the services' variables, so a tool that starts them does not need the app's other settings to be valid. */
export const loadServicesEnv = (
  env: Record<string, string | undefined> = process.env,
): { ok: true; env: ServicesEnv } | { ok: false; errors: string[] } => {
  const parsed = servicesSchema.safeParse(env);
  return parsed.success ? { ok: true, env: parsed.data } : { ok: false, errors: issuesOf(parsed.error) };
};
