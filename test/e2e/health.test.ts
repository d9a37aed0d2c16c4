import { createTcpProxy } from '../../tools/kit/tcp-proxy';
import { eventually } from '../support/eventually';
import { createTestApp, type TestApp } from '../support/create-test-app';

const getJson = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('/healthz and /readyz', () => {
  let redisProxy: Awaited<ReturnType<typeof createTcpProxy>>;
  let testApp: TestApp;

  beforeAll(async () => {
    const redisUrl = new URL(process.env['REDIS_URL'] ?? '');
    redisProxy = await createTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    // Redis reached through a proxy the test can cut, to see readiness fail and recover.
    testApp = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${redisProxy.port}` });
  });
  afterAll(async () => {
    redisProxy.restore();
    await testApp.close();
    await redisProxy.close();
  });

  it('answers /healthz without a token', async () => {
    await expect(getJson(`${testApp.baseUrl}/healthz`)).resolves.toEqual({ status: 200, body: { status: 'alive' } });
  });

  const allOk = {
    database: 'ok',
    redis: 'ok',
    kafka: 'ok',
    'relay-waker': 'ok',
    'kafka-producer': 'ok',
    'relay-worker': 'ok',
    'history-consumer': 'ok',
    'reply-stream': 'ok',
    'generate-queue': 'ok',
    'reply-cancellations': 'ok',
    'generate-worker': 'ok',
  };

  it('answers /readyz 200 when database, Redis, Kafka and every role component are ready', async () => {
    // The consumer is ready once it has joined its group, which happens just after start.
    await eventually(async () =>
      expect(await getJson(`${testApp.baseUrl}/readyz`)).toEqual({
        status: 200,
        body: { status: 'ready', checks: allOk },
      }),
    );
  });

  it('answers /readyz 503 naming Redis while Redis is unreachable, and recovers', async () => {
    redisProxy.cut();
    await eventually(async () =>
      expect(await getJson(`${testApp.baseUrl}/readyz`)).toEqual({
        status: 503,
        body: {
          status: 'not ready',
          checks: expect.objectContaining({ database: 'ok', redis: 'failed', kafka: 'ok' }),
        },
      }),
    );
    redisProxy.restore();
    await eventually(async () => expect((await getJson(`${testApp.baseUrl}/readyz`)).status).toBe(200), {
      timeoutMs: 20_000,
    });
  });

  it('serves the Apollo Sandbox landing page to a browser without a token', async () => {
    const response = await fetch(testApp.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/apollo/i);
  });
});
