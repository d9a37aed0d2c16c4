import { getIntrospectionQuery } from 'graphql';
import type { Client } from 'graphql-ws';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/infra/logger';
import { SEND_MESSAGE, collectStream } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred } from '../support/eventually';
import type { FakeOpenAi } from '../../tools/kit/fake-openai-server';

const INTROSPECTION = '{ __schema { mutationType { fields { name } } } }';
const TYPO = '{ conversationz(first: 1) { edges { node { id } } } }';

const overWs = (client: Client, query: string, variables: Record<string, unknown> = {}) => {
  const result = deferred<unknown>();
  client.subscribe({ query, variables }, { next: result.resolve, error: result.resolve, complete: () => undefined });
  return result.promise;
};

describe('abuse: a production-safe edge', () => {
  let testApp: TestApp;
  let devApp: TestApp;
  let model: FakeOpenAi;
  let token: string;
  const lines: string[] = [];
  let readinessChecks = 0;
  const logger = createLogger(
    { level: 'info' },
    {},
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );

  beforeAll(async () => {
    // A long cache, so that however slowly the machine answers the burst below, one check covers it.
    testApp = await createTestApp(
      { NODE_ENV: 'production', METRICS_PORT: '0', READYZ_CACHE_MS: '60000' },
      { logger, model: {}, onReadinessCheck: () => (readinessChecks += 1) },
    );
    model = testApp.model;
    devApp = await createTestApp({ NODE_ENV: 'development' });
    token = await testApp.token('mallory');
  });
  afterAll(async () => {
    await testApp.close();
    await devApp.close();
  });

  it('refuses introspection in production over WebSocket as over HTTP', async () => {
    const http = await testApp.graphql(INTROSPECTION, {}, token);
    expect(http.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const ws = await overWs(testApp.wsClient({ authorization: `Bearer ${token}` }), INTROSPECTION);
    expect((ws as unknown[])[0]).toEqual(
      expect.objectContaining({
        message: expect.stringMatching(/introspection/i),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    );
  });

  it("answers introspection in development on both transports, Sandbox's full query within the limits", async () => {
    const devToken = await devApp.token('dev');
    // The query Apollo Sandbox and codegen send: it must fit the token, depth, alias and cost limits.
    const full = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
    });
    for (const query of [INTROSPECTION, full]) {
      expect((await devApp.graphql(query, {}, devToken)).body.errors).toBeUndefined();
      const ws = (await overWs(devApp.wsClient({ authorization: `Bearer ${devToken}` }), query)) as { data?: unknown };
      expect(ws.data).toBeDefined();
    }
  });

  it('gives no "did you mean" suggestions in production on either transport, and does in development', async () => {
    const http = await testApp.graphql(TYPO, {}, token);
    expect(http.body.errors?.[0]?.message).toMatch(/Cannot query field "conversationz"/);
    expect(JSON.stringify(http.body)).not.toMatch(/Did you mean/);
    const ws = await overWs(testApp.wsClient({ authorization: `Bearer ${token}` }), TYPO);
    expect(JSON.stringify(ws)).toMatch(/Cannot query field \\"conversationz\\"/);
    expect(JSON.stringify(ws)).not.toMatch(/Did you mean/);
    expect(JSON.stringify((await devApp.graphql(TYPO, {}, await devApp.token('dev'))).body)).toMatch(/Did you mean/);
  });

  it('gives no suggestions for misspelt variable input fields or enum values in production', async () => {
    for (const input of [
      { content: 'x', modle: 'WORKER' },
      { content: 'x', model: 'WORKR' },
    ]) {
      const http = await testApp.graphql(SEND_MESSAGE, { input }, token);
      expect(http.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(http.body)).not.toMatch(/Did you mean/);
      const ws = await overWs(testApp.wsClient({ authorization: `Bearer ${token}` }), SEND_MESSAGE, { input });
      expect(JSON.stringify(ws)).not.toMatch(/Did you mean/);
    }
  });

  it('serves /metrics only on the metrics listener in production', async () => {
    expect((await fetch(`${testApp.baseUrl}/metrics`)).status).toBe(404);
    const metricsUrl = testApp.app.metricsUrl();
    expect(metricsUrl).toBeDefined();
    const scraped = await fetch(`${metricsUrl}`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/agent_relay_/);
  });

  it('answers a burst of /readyz from one check of the dependencies', async () => {
    const before = readinessChecks;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${testApp.baseUrl}/readyz`).then((r) => r.json())),
    );
    expect(readinessChecks - before).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]).toMatchObject({ status: 'ready' });
    await fetch(`${testApp.baseUrl}/readyz`);
    expect(readinessChecks - before).toBe(1);
  });

  it("tells the user our own words in ReplyFailed.reason and keeps the provider's text for the log", async () => {
    model.setScript(() => ({ status: 400 }));
    const sent = await testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
      SEND_MESSAGE,
      { input: { content: 'fail please' } },
      token,
    );
    const { conversation, replyId } = sent.body.data!.sendMessage;
    const outcome = await collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), {
      conversationId: conversation.id,
      replyId,
    });
    const failed = outcome.events.at(-1) as { __typename: string; code?: string; reason?: string };
    expect(failed).toMatchObject({
      __typename: 'ReplyFailed',
      code: 'MODEL_REJECTED',
      reason: 'The model refused the request.',
    });
    expect(lines.join('')).toContain('fake error 400');
  });

  it('refuses an ops replay reason longer than its column with BAD_USER_INPUT, not a 500', async () => {
    const ops = await testApp.token('operator', ['user', 'ops']);
    const reason = 'r'.repeat(501);
    const one = await testApp.graphql(
      'mutation($r: String) { replayOutboxMessage(id: "1", reason: $r) { id } }',
      { r: reason },
      ops,
    );
    expect(one.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const many = await testApp.graphql(
      'mutation($r: String) { replayOutboxMessages(filter: {}, limit: 1, reason: $r) { replayed } }',
      { r: reason },
      ops,
    );
    expect(many.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('never writes the bearer token to the log', async () => {
    await testApp.graphql('{ me { userId } }', {}, token);
    expect(lines.join('')).not.toContain(token);
  });
});
