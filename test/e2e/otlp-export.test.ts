import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { mintToken } from '../../src/infra/auth/jwt';
import { SEND_MESSAGE } from '../support/chat-client';
import { eventually } from '../support/eventually';
import { deleteTopic } from '../support/kafka-admin';
import { startMain } from '../support/main-process';
import { testEnv } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';

/** A stand-in for Jaeger's OTLP/HTTP receiver on 4318: keeps each request's path, headers and JSON body. */
const startReceiver = async () => {
  const received: { path: string | undefined; apiKey: string | undefined; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url,
        apiKey: req.headers['x-api-key'] as string | undefined,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** Span names in the OTLP JSON requests received so far. */
const spanNames = (bodies: readonly string[]) =>
  bodies.flatMap((body) =>
    (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[] }).resourceSpans.flatMap(
      (r) => r.scopeSpans.flatMap((s) => s.spans.map((span) => span.name)),
    ),
  );

describe('tracing in the real process (npm start with OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it("exports a message's spans over OTLP/HTTP to <endpoint>/v1/traces, with the configured headers", async () => {
    const receiver = await startReceiver();
    const env = testEnv({
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret-key',
    });
    const config = loadConfig(env);
    if (!config.ok) throw new Error('bad test env');
    const database = await createTestDatabase(config.config.db);
    const main = startMain(env);
    try {
      const url = await main.listening;
      const token = await mintToken(config.config.auth, { userId: 'user-1', roles: ['user'], ttlSeconds: 600 });
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'to Jaeger' } } }),
      });
      expect(response.status).toBe(200);
      // Spans leave in batches (every 5 s by default): wait for both messages' persist spans.
      await eventually(
        () => {
          const names = spanNames(receiver.received.map((r) => r.body));
          expect(names.filter((name) => name === 'history persist')).toHaveLength(2);
          expect(names).toEqual(
            expect.arrayContaining([
              'mutation ChatCliSend',
              'outbox write',
              'generate reply',
              'outbox relay',
              'process ' + config.config.kafka.topic,
            ]),
          );
        },
        { timeoutMs: 30_000 },
      );
      expect(new Set(receiver.received.map((r) => [r.path, r.apiKey].join(' ')))).toEqual(
        new Set(['/v1/traces secret-key']),
      );
      // The secret header value never reaches the log (the config dump redacts it).
      main.child.kill('SIGTERM');
      const { code, stdout } = await main.exited;
      expect(code).toBe(0);
      expect(stdout).toContain('tracing on: spans exported over OTLP/HTTP');
      expect(stdout).not.toContain('secret-key');
    } finally {
      main.child.kill('SIGKILL');
      await receiver.close();
      await database.drop();
      await deleteTopic(config.config.kafka);
    }
  }, 60_000);
});
