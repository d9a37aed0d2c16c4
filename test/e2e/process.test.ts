import { testEnv } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';
import { loadConfig } from '../../src/config';
import { startMain } from '../support/main-process';
import { deleteTopic } from '../support/kafka-admin';

describe('the service process', () => {
  it('prints every config problem and exits 1', async () => {
    const { exited } = startMain({ ROLES: 'api,web', DATABASE_URL: 'postgres://db/x', HTTP_PORT: '99999' });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid configuration/);
    expect(stderr).toMatch(/ROLES: unknown role "web"/);
    expect(stderr).toMatch(/DATABASE_URL: must be a URL with scheme mariadb or mysql/);
    expect(stderr).toMatch(/HTTP_PORT: /);
  }, 30_000);

  it('exits 1 with one line naming the unreachable service', async () => {
    const env = testEnv({ LOG_LEVEL: 'fatal', REDIS_URL: 'redis://127.0.0.1:1' });
    const config = loadConfig(env);
    if (!config.ok) throw new Error('bad test env');
    const database = await createTestDatabase(config.config.db);
    try {
      const { code, stderr } = await startMain(env).exited;
      expect(code).toBe(1);
      expect(stderr).toMatch(/^agent-relay: failed to start: redis unreachable at 127\.0\.0\.1:1/m);
    } finally {
      await database.drop();
    }
  }, 30_000);

  it('exits 1 naming the database when it does not exist', async () => {
    const { code, stderr } = await startMain(testEnv({ LOG_LEVEL: 'fatal' })).exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^agent-relay: failed to start: database unreachable at .*Unknown database 'agent_relay_test_/m,
    );
  }, 30_000);

  it('serves, then on SIGTERM stops HTTP first and the database last, and exits 0', async () => {
    const env = testEnv({ LOG_LEVEL: 'info' });
    const config = loadConfig(env);
    if (!config.ok) throw new Error('bad test env');
    const database = await createTestDatabase(config.config.db);
    const main = startMain(env);
    try {
      const url = await main.listening;
      const ready = await fetch(url.replace(/graphql$/, 'readyz'));
      expect(ready.status).toBe(200);
      main.child.kill('SIGTERM');
      const { code, stdout } = await main.exited;
      expect(code).toBe(0);
      // Ordered by each line's own timestamp, then by its place in the output: when the pipe is
      // full, pino's writes can reach it out of order, but a line's timestamp says when it was logged.
      const stops = [...stdout.matchAll(/"time":"([^"]+)"[^\n]*"msg":"stopped ([\w-]+)"/g)]
        .map((m, position) => ({ at: Date.parse(m[1]!), position, name: m[2] }))
        .sort((a, b) => a.at - b.at || a.position - b.position)
        .map((s) => s.name);
      // Reverse start order: intake first (HTTP, the generate worker: running replies finish), then workers, then the clients they use.
      expect(stops).toEqual([
        'http',
        'generate-worker',
        'reply-cancellations',
        'reply-stream',
        'generate-queue',
        'history-consumer',
        'relay-worker',
        'kafka-producer',
        'relay-waker',
        'kafka',
        'redis',
        'database',
      ]);
    } finally {
      main.child.kill('SIGKILL');
      await database.drop();
      await deleteTopic(config.config.kafka);
    }
  }, 60_000);

  it('in production, stops on SIGTERM without any step running into the shutdown deadline', async () => {
    // Production adds the metrics listener, stopped first; Apollo's own signal handler used to win that race and hang HTTP's stop.
    const env = testEnv({ LOG_LEVEL: 'info', NODE_ENV: 'production', METRICS_PORT: '0', ROLES: 'api' });
    const config = loadConfig(env);
    if (!config.ok) throw new Error('bad test env');
    const database = await createTestDatabase(config.config.db);
    const main = startMain(env);
    try {
      await main.listening;
      const started = Date.now();
      main.child.kill('SIGTERM');
      const { code, stdout } = await main.exited;
      expect(code).toBe(0);
      expect(stdout).not.toMatch(/timed out/);
      expect(Date.now() - started).toBeLessThan(config.config.shutdownTimeoutMs);
    } finally {
      main.child.kill('SIGKILL');
      await database.drop();
    }
  }, 60_000);
});
