import { DEV_JWT_SECRET, loadConfig, redactConfig } from '../../src/config';

const errorsOf = (env: Record<string, string>) => {
  const result = loadConfig(env);
  if (result.ok) throw new Error('expected invalid config');
  return result.errors;
};

describe('loadConfig', () => {
  it('gives documented defaults for an empty environment', () => {
    const result = loadConfig({});
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.roles).toEqual(['api', 'relay', 'consumer']);
    expect(result.config.http.port).toBe(4000);
    expect(result.config.db).toMatchObject({ driver: 'mariadb', dbName: 'agent_relay' });
    expect(result.config.kafka).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      topic: 'agent-relay.chat-messages',
      partitions: 6,
    });
    expect(result.config.auth.usingDevSecret).toBe(true);
    expect(result.config.http.sandbox).toBe(true);
  });

  it('configures reply generation: defaults, the generator role, and bounds', () => {
    const defaults = loadConfig({});
    expect(defaults.ok && defaults.config.generate).toEqual({
      inApi: true,
      concurrency: 50,
      lockMs: 10_000,
      stalledIntervalMs: 5_000,
      maxStalls: 2,
      recoverAfterMs: 30_000,
      recoverIntervalMs: 10_000,
    });
    const generator = loadConfig({
      ROLES: 'generator',
      GENERATE_CONCURRENCY: '8',
      GENERATE_LOCK_MS: '4000',
      GENERATE_IN_API: 'false',
    });
    expect(generator.ok && generator.config.roles).toEqual(['generator']);
    expect(generator.ok && generator.config.generate).toMatchObject({ inApi: false, concurrency: 8, lockMs: 4_000 });
    expect(errorsOf({ GENERATE_CONCURRENCY: '0', GENERATE_LOCK_MS: '10' })).toEqual([
      expect.stringMatching(/^GENERATE_CONCURRENCY:/),
      expect.stringMatching(/^GENERATE_LOCK_MS:/),
    ]);
  });

  it('picks the provider profile from MODEL_PROVIDER, else the deprecated MODEL_THINKING_STYLE, else openai', () => {
    const provider = (env: Record<string, string>) => {
      const result = loadConfig(env);
      if (!result.ok) throw new Error(result.errors.join('\n'));
      return result.config.llm.provider;
    };
    expect(provider({})).toBe('openai');
    expect(provider({ MODEL_PROVIDER: 'ollama' })).toBe('ollama');
    expect(provider({ MODEL_THINKING_STYLE: 'qwen' })).toBe('vllm');
    expect(provider({ MODEL_THINKING_STYLE: 'none' })).toBe('generic');
    expect(provider({ MODEL_PROVIDER: 'ark', MODEL_THINKING_STYLE: 'qwen' })).toBe('ark');
    expect(loadConfig({ MODEL_PROVIDER: 'bard' }).ok).toBe(false);
  });

  it("keeps the consumer's database retry below its group session and gives the relay's outage probes a short cap", () => {
    const result = loadConfig({});
    expect(result.ok && result.config.consumer).toMatchObject({ retryCapMs: 5_000, sessionTimeoutMs: 10_000 });
    expect(result.ok && result.config.relay.blockedProbeCapMs).toBe(10_000);
    expect(errorsOf({ CONSUMER_RETRY_CAP_MS: '10000', CONSUMER_SESSION_TIMEOUT_MS: '10000' })).toEqual([
      expect.stringMatching(/^CONSUMER_RETRY_CAP_MS: must be below CONSUMER_SESSION_TIMEOUT_MS/),
    ]);
  });
  it('refuses a consumer fetch wait above a third of the session timeout, and defaults to 500 ms', () => {
    expect(errorsOf({ CONSUMER_MAX_WAIT_MS: '4000', CONSUMER_SESSION_TIMEOUT_MS: '10000' })).toEqual([
      expect.stringMatching(/^CONSUMER_MAX_WAIT_MS: must be at most a third of CONSUMER_SESSION_TIMEOUT_MS/),
    ]);
    const atAThird = loadConfig({ CONSUMER_MAX_WAIT_MS: '2000', CONSUMER_SESSION_TIMEOUT_MS: '6000' });
    expect(atAThird.ok && atAThird.config.consumer.maxWaitMs).toBe(2_000);
    const result = loadConfig({});
    expect(result.ok && result.config.consumer.maxWaitMs).toBe(500);
  });
  it('commits consumer offsets once a second by default; 0 commits after every batch', () => {
    const result = loadConfig({});
    expect(result.ok && result.config.consumer.offsetCommitIntervalMs).toBe(1_000);
    const everyBatch = loadConfig({ CONSUMER_OFFSET_COMMIT_INTERVAL_MS: '0' });
    expect(everyBatch.ok && everyBatch.config.consumer.offsetCommitIntervalMs).toBe(0);
    expect(loadConfig({ CONSUMER_OFFSET_COMMIT_INTERVAL_MS: '-1' }).ok).toBe(false);
  });

  it('treats empty strings as unset', () => {
    const result = loadConfig({ HTTP_PORT: '', ROLES: ' ', KAFKA_BROKERS: '' });
    expect(result.ok && result.config.http.port).toBe(4000);
    expect(result.ok && result.config.roles).toHaveLength(3);
  });

  it('chooses the ORM driver from the URL scheme', () => {
    const mysql = loadConfig({ DATABASE_URL: 'mysql://app:pw@db:3307/history' });
    expect(mysql.ok && mysql.config.db).toMatchObject({ driver: 'mysql', dbName: 'history' });
  });

  it('reports every problem at once, each naming its variable', () => {
    const errors = errorsOf({
      ROLES: 'api,bogus',
      DATABASE_URL: 'postgres://x/y',
      HTTP_PORT: 'eighty',
      KAFKA_BROKERS: 'nohost',
      REDIS_URL: 'not a url',
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ROLES: unknown role "bogus"/),
        expect.stringMatching(/^DATABASE_URL: must be a URL with scheme mariadb or mysql/),
        expect.stringMatching(/^HTTP_PORT: /),
        expect.stringMatching(/^KAFKA_BROKERS: each broker must be host:port/),
        expect.stringMatching(/^REDIS_URL: /),
      ]),
    );
    expect(errors).toHaveLength(5);
  });

  it('requires a real JWT secret in production and rejects short secrets', () => {
    expect(errorsOf({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET: required when NODE_ENV=production']);
    expect(errorsOf({ JWT_SECRET: 'short' })[0]).toMatch(/^JWT_SECRET: must be at least 32 bytes/);
  });

  it('refuses the public development secret in production, even set explicitly', () => {
    expect(errorsOf({ NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET })).toEqual([
      'JWT_SECRET: the public development secret is refused when NODE_ENV=production',
    ]);
    expect(loadConfig({ JWT_SECRET: DEV_JWT_SECRET }).ok).toBe(true);
  });

  it('counts the secret in bytes: 31 bytes are refused, 32 accepted', () => {
    expect(errorsOf({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) })[0]).toMatch(
      /^JWT_SECRET: must be at least 32 bytes/,
    );
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).ok).toBe(true);
  });

  it('listens on loopback by default in development, on every interface otherwise', () => {
    const host = (env: Record<string, string>) => {
      const result = loadConfig(env);
      return result.ok ? result.config.http.host : result.errors;
    };
    expect(host({})).toBe('127.0.0.1');
    expect(host({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toBe('0.0.0.0');
    expect(host({ HTTP_HOST: '0.0.0.0' })).toBe('0.0.0.0');
  });

  it('keeps /metrics off the public port in production unless asked for', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    const off = loadConfig(prod);
    const on = loadConfig({ ...prod, METRICS_ON_HTTP_PORT: 'true' });
    const dev = loadConfig({});
    expect([
      off.ok && off.config.http.metricsOnHttpPort,
      on.ok && on.config.http.metricsOnHttpPort,
      dev.ok && dev.config.http.metricsOnHttpPort,
    ]).toEqual([false, true, true]);
  });

  it('turns the Sandbox off in production unless asked for', () => {
    const secret = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) };
    const off = loadConfig(secret);
    const on = loadConfig({ ...secret, SANDBOX_ENABLED: 'true' });
    expect(off.ok && off.config.http.sandbox).toBe(false);
    expect(on.ok && on.config.http.sandbox).toBe(true);
  });

  it('redacts secrets and passwords for logging', () => {
    const result = loadConfig({
      DATABASE_URL: 'mariadb://root:hunter2@db/app',
      REDIS_URL: 'redis://:redispw@r:6379',
      JWT_SECRET: 's'.repeat(40),
      OPENAI_API_KEY: 'sk-123',
      OPENAI_BASE_URL: 'https://acct:basepw@llm.example.com/v1?api-key=qk-9',
    });
    if (!result.ok) throw new Error('invalid');
    const text = JSON.stringify(redactConfig(result.config));
    expect(text).not.toMatch(/hunter2|redispw|sk-123|ssss|basepw|qk-9/);
  });
});
