import { SEND_MESSAGE, collectStream } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred } from '../support/eventually';

describe('limits answer with typed errors', () => {
  let testApp: TestApp;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp({
      RATE_LIMIT_SEND_PER_MINUTE: '3',
      GRAPHQL_MAX_DEPTH: '4',
      GRAPHQL_MAX_COST: '300',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      HTTP_BODY_LIMIT_BYTES: '2000',
    });
    token = await testApp.token('rita');
  });
  afterAll(() => testApp.close());

  it('rate-limits sendMessage per user with RATE_LIMITED, leaving other users alone', async () => {
    // The limiter counts per wall-clock minute: four sends straddling a boundary would land in two windows.
    const toBoundary = 60_000 - (Date.now() % 60_000);
    if (toBoundary < 5_000) await new Promise((resolve) => setTimeout(resolve, toBoundary + 50));
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await testApp.graphql(SEND_MESSAGE, { input: { content: `msg ${i}` } }, token);
      codes.push(response.body.errors?.[0]?.extensions?.code);
    }
    expect(codes).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
    const other = await testApp.graphql(SEND_MESSAGE, { input: { content: 'hi' } }, await testApp.token('sam'));
    expect(other.body.errors).toBeUndefined();
  });

  it('rejects a query nested deeper than the limit with QUERY_TOO_DEEP', async () => {
    const response = await testApp.graphql(
      '{ conversations { edges { node { messages { edges { node { id } } } } } } }',
      {},
      token,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    expect(response.body.data).toBeUndefined();
  });

  it('rejects a query whose estimated cost exceeds the limit with QUERY_TOO_COSTLY', async () => {
    const response = await testApp.graphql(
      '{ conversations(first: 100) { edges { node { id createdAt messageCount lastMessageAt } } } }',
      {},
      token,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  // 1 + n × 4: at n = 100 over the limit of 300; at the old fixed guess of 50 it was let through.
  const PAGED = 'query Paged($n: Int) { conversations(first: $n) { edges { node { id createdAt } } } }';

  it('costs a page size passed as a variable at its value, not at a guess', async () => {
    const costly = await testApp.graphql(PAGED, { n: 100 }, token);
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]).toMatchObject({
      message: 'query cost 401 exceeds the limit of 300',
      extensions: { code: 'QUERY_TOO_COSTLY' },
    });
    const cheap = await testApp.graphql(PAGED, { n: 5 }, token);
    expect(cheap.body.errors).toBeUndefined();
    expect(cheap.body.data).toEqual({ conversations: { edges: expect.any(Array) } });
  });

  it("costs a variable left unset at the operation's default value", async () => {
    const response = await testApp.graphql(
      'query Paged($n: Int = 100) { conversations(first: $n) { edges { node { id createdAt } } } }',
      {},
      token,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  it('costs variables over WebSocket too', async () => {
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    const outcome = (variables: Record<string, unknown>) => {
      const result = deferred<unknown>();
      client.subscribe(
        { query: PAGED, variables },
        { next: result.resolve, error: result.resolve, complete: () => undefined },
      );
      return result.promise;
    };
    expect(await outcome({ n: 100 })).toEqual([expect.objectContaining({ extensions: { code: 'QUERY_TOO_COSTLY' } })]);
    expect(await outcome({ n: 5 })).toEqual({ data: { conversations: { edges: expect.any(Array) } } });
  });

  it('applies the same query limits over WebSocket', async () => {
    // Too deep, and (20 conversations × 50 messages by default) too large: both transports report both.
    const query = '{ conversations { edges { node { messages { edges { node { id } } } } } } }';
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    const result = deferred<{ extensions?: { code?: string } }[]>();
    client.subscribe({ query }, { next: () => undefined, error: result.resolve, complete: () => undefined });
    const overWs = (await result.promise).map((error) => error.extensions?.code);
    const overHttp = (await testApp.graphql(query, {}, token)).body.errors?.map((error) => error.extensions?.code);
    expect(overWs).toEqual(['QUERY_TOO_DEEP', 'RESPONSE_TOO_LARGE']);
    expect(overHttp).toEqual(overWs);
  });

  it('refuses an oversized request body with 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await testApp.graphql(SEND_MESSAGE, { input: { content: 'x'.repeat(5000) } }, token);
    expect(response.status).toBe(413);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('caps subscriptions per connection with TOO_MANY_SUBSCRIPTIONS', async () => {
    const sent = await testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
      SEND_MESSAGE,
      { input: { content: 'sub cap' } },
      await testApp.token('tom'),
    );
    const { conversation, replyId } = sent.body.data!.sendMessage;
    const client = testApp.wsClient({ authorization: `Bearer ${await testApp.token('tom')}` });
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => collectStream(client, { conversationId: conversation.id, replyId })),
    );
    const refused = outcomes.filter((o) => o.errors?.[0]?.extensions?.code === 'TOO_MANY_SUBSCRIPTIONS');
    expect(refused).toHaveLength(1);
  });
});
