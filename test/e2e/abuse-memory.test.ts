import type { Client } from 'graphql-ws';
import { SEND_MESSAGE, collectStream } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred, eventually } from '../support/eventually';
import { openSql } from '../support/sql';
import { defaultScript, type FakeOpenAi } from '../../tools/kit/fake-openai-server';

/**
 * The memory attack of issue 13, scaled down: a conversation filled with messages of control
 * characters (six bytes each as JSON) read back through many aliases of a paged list. Limits:
 * content 2,000 characters (12,000 bytes as JSON at worst, 4,000 held per row), 100,000 bytes per
 * response, 15 aliases, 500 tokens.
 */
const CONTENT_CHARS = 2_000;
const FILLER = '\u0001'.repeat(CONTENT_CHARS);

interface Sent {
  sendMessage: { conversation: { id: string }; replyId: string };
}

const page = (n: number | string) => `messages(first: ${n}) { edges { node { content } } }`;
const aliased = (count: number, id: string, first: number) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: conversation(id: "${id}") { ${page(first)} }`).join(' ')} }`;

describe('abuse: one user cannot make the API hold unbounded response data', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let token: string;
  let ws: Client;
  let conversationId: string;

  const codeOf = (body: { errors?: { extensions?: { code?: string } }[] }) => body.errors?.[0]?.extensions?.code;
  const overWs = (query: string, variables: Record<string, unknown> = {}) => {
    const result = deferred<unknown>();
    ws.subscribe({ query, variables }, { next: result.resolve, error: result.resolve, complete: () => undefined });
    return result.promise;
  };
  const send = async (content: string, conversation?: string) => {
    const response = await testApp.graphql<Sent>(
      SEND_MESSAGE,
      { input: { content, ...(conversation ? { conversationId: conversation } : {}) } },
      token,
    );
    if (!response.body.data) throw new Error(JSON.stringify(response.body.errors));
    const sent = response.body.data.sendMessage;
    await collectStream(ws, { conversationId: sent.conversation.id, replyId: sent.replyId });
    return sent;
  };
  const messageCount = async (id: string) =>
    (
      await testApp.graphql<{ conversation: { messageCount: number } }>(
        `{ conversation(id: "${id}") { messageCount } }`,
        {},
        token,
      )
    ).body.data?.conversation.messageCount;

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        RATE_LIMIT_SEND_PER_MINUTE: '1000',
        CHAT_MAX_CONTENT_CHARS: String(CONTENT_CHARS),
        GRAPHQL_MAX_RESPONSE_BYTES: '100000',
        GRAPHQL_MAX_TOKENS: '500',
      },
      { model: { script: () => ({ tokens: ['ok'] }) } },
    );
    model = testApp.model;
    token = await testApp.token('mallory');
    ws = testApp.wsClient({ authorization: `Bearer ${token}` });
    conversationId = (await send(FILLER)).conversation.id;
    for (let i = 0; i < 4; i += 1) await send(FILLER, conversationId);
    await eventually(async () => expect(await messageCount(conversationId)).toBe(10), { timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await testApp.close();
  });
  afterEach(() => model.setScript(defaultScript));

  it('answers a page that fits the budget', async () => {
    // 5 rows × (12,000 + 4,000) = 80,000 bytes at worst.
    const response = await testApp.graphql<{ conversation: { messages: { edges: { node: { content: string } }[] } } }>(
      `{ conversation(id: "${conversationId}") { ${page(5)} } }`,
      {},
      token,
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.conversation.messages.edges[0]?.node.content).toBe(FILLER);
  });

  it('refuses aliases of a paged content list with RESPONSE_TOO_LARGE before loading anything, fast', async () => {
    const started = performance.now();
    const response = await testApp.graphql(aliased(6, conversationId, 10), {}, token);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(400);
    expect(codeOf(response.body)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.data).toBeUndefined();
  });

  // Without `first` a message list loads its declared default of 50 rows: 50 × 16,000 bytes at worst.
  const NO_FIRST = () => `{ conversation(id: "${conversationId}") { messages { edges { node { content } } } } }`;

  it('counts a message list without `first` at its default page size: refused before loading anything', async () => {
    const started = performance.now();
    const response = await testApp.graphql(NO_FIRST(), {}, token);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(response.status).toBe(400);
    expect(codeOf(response.body)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.data).toBeUndefined();
    expect(await overWs(NO_FIRST())).toEqual([expect.objectContaining({ extensions: { code: 'RESPONSE_TOO_LARGE' } })]);
  });

  it('refuses parallel copies of the query without `first` each before loading anything', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => testApp.graphql(NO_FIRST(), {}, token)));
    for (const { status, body } of answers) {
      expect(status).toBe(400);
      expect(codeOf(body)).toBe('RESPONSE_TOO_LARGE');
      expect(body.data).toBeUndefined();
    }
  });

  it('counts content reached through fragments the same way', async () => {
    const query = `{ a: conversation(id: "${conversationId}") { ...M } b: conversation(id: "${conversationId}") { ...M } }
      fragment M on Conversation { messages(first: 10) { edges { node { ...C } } } }
      fragment C on ChatMessage { content again: content }`;
    expect(codeOf((await testApp.graphql(query, {}, token)).body)).toBe('RESPONSE_TOO_LARGE');
  });

  it('counts a page size passed as a variable at its value', async () => {
    const query = `query($n: Int) { conversation(id: "${conversationId}") { ${page('$n')} } }`;
    expect(codeOf((await testApp.graphql(query, { n: 10 }, token)).body)).toBe('RESPONSE_TOO_LARGE');
    expect((await testApp.graphql(query, { n: 2 }, token)).body.errors).toBeUndefined();
  });

  it('applies the same budget over WebSocket, with and without variables', async () => {
    expect(await overWs(aliased(6, conversationId, 10))).toEqual([
      expect.objectContaining({ extensions: { code: 'RESPONSE_TOO_LARGE' } }),
    ]);
    const query = `query($n: Int) { conversation(id: "${conversationId}") { ${page('$n')} } }`;
    expect(await overWs(query, { n: 10 })).toEqual([
      expect.objectContaining({ extensions: { code: 'RESPONSE_TOO_LARGE' } }),
    ]);
  });

  it('counts the text actually loaded: a reply longer than the content limit is refused while resolving', async () => {
    model.setScript(() => ({ tokens: Array.from({ length: 60 }, () => 'x'.repeat(2_000)) }));
    const sent = await send('please answer at length');
    await eventually(async () => expect(await messageCount(sent.conversation.id)).toBe(2), { timeoutMs: 30_000 });
    // Estimated at 2 × 4,000 bytes, but the reply alone is 120,000 characters.
    const response = await testApp.graphql(
      `{ conversation(id: "${sent.conversation.id}") { messages(first: 2) { edges { node { id } } } } }`,
      {},
      token,
    );
    expect(codeOf(response.body)).toBe('RESPONSE_TOO_LARGE');
    expect(response.body.data).toEqual({ conversation: null });
  });

  /**
   * Holds every read of message pages until released: a copy of a large page stays in flight (its
   * share of the user's in-flight bytes reserved) for as long as a test needs, whatever the timing.
   */
  const holdMessagePages = async () => {
    // One pooled connection, so the unlock runs on the session that holds the lock.
    const sql = await openSql({ ...testApp.config.db, poolMax: 1 });
    await sql.run('LOCK TABLES chat_messages WRITE');
    return async () => {
      await sql.run('UNLOCK TABLES');
      await sql.close();
    };
  };
  /** Sessions of this app's database waiting for the lock `holdMessagePages` takes. */
  const readsWaiting = async () => {
    const [row] = await testApp.sql.query<{ n: number | bigint }>(
      "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND STATE LIKE 'Waiting for table%'",
      [testApp.config.db.dbName],
    );
    return Number(row?.n ?? 0);
  };
  // 5 rows: 80,000 of the 100,000 bytes a user may have in flight; two copies do not fit at once.
  const LARGE_PAGE = () => `{ conversation(id: "${conversationId}") { ${page(5)} } }`;
  const outcomeOf = (body: { errors?: { extensions?: { code?: string } }[] }) =>
    body.errors === undefined ? 'data' : codeOf(body);

  it('answers parallel copies of a large page from one user with data for one, RATE_LIMITED for the others', async () => {
    const release = await holdMessagePages();
    let answered = 0;
    const copies = Array.from({ length: 10 }, () =>
      testApp.graphql(LARGE_PAGE(), {}, token).finally(() => (answered += 1)),
    );
    try {
      // The first to start holds its reservation until its page is read; the nine others are refused meanwhile.
      await eventually(() => expect(answered).toBe(9));
    } finally {
      await release();
    }
    const outcomes = (await Promise.all(copies)).map(({ body }) => outcomeOf(body));
    expect(outcomes.sort()).toEqual([...Array.from({ length: 9 }, () => 'RATE_LIMITED'), 'data']);
    expect((await testApp.graphql(LARGE_PAGE(), {}, token)).body.errors).toBeUndefined();
  });

  it("reserves a WebSocket query's bytes in the same per-user budget as HTTP until it is answered", async () => {
    const release = await holdMessagePages();
    let held: Promise<unknown> | undefined;
    try {
      held = overWs(LARGE_PAGE());
      // Its page read waits on the lock: from here on it is in flight with its 80,000 bytes reserved.
      await eventually(async () => expect(await readsWaiting()).toBe(1));
      expect(codeOf((await testApp.graphql(LARGE_PAGE(), {}, token)).body)).toBe('RATE_LIMITED');
      const other = testApp.wsClient({ authorization: `Bearer ${token}` });
      const overOtherSocket = deferred<unknown>();
      other.subscribe(
        { query: LARGE_PAGE() },
        { next: overOtherSocket.resolve, error: overOtherSocket.resolve, complete: () => undefined },
      );
      expect(await overOtherSocket.promise).toEqual([
        expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } }),
      ]);
      // Per user: another user is not refused (the conversation is not theirs, so no page is read).
      const bystander = await testApp.graphql(LARGE_PAGE(), {}, await testApp.token('bystander'));
      expect(bystander.body).toEqual({ data: { conversation: null } });
    } finally {
      await release();
    }
    expect(await held).toEqual({ data: { conversation: { messages: { edges: expect.any(Array) } } } });
    // Answered, it gave its reservation back.
    expect((await testApp.graphql(LARGE_PAGE(), {}, token)).body.errors).toBeUndefined();
  });

  it('refuses more aliases than GRAPHQL_MAX_ALIASES with TOO_MANY_ALIASES on both transports', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `m${i}: me { userId }`).join(' ')} }`;
    expect(codeOf((await testApp.graphql(query, {}, token)).body)).toBe('TOO_MANY_ALIASES');
    expect(await overWs(query)).toEqual([expect.objectContaining({ extensions: { code: 'TOO_MANY_ALIASES' } })]);
  });

  it('refuses a document over GRAPHQL_MAX_TOKENS while parsing, before validation, on both transports', async () => {
    // 600 unknown fields: validation would report each one; parsing stops first.
    const query = `{ ${Array.from({ length: 600 }, (_, i) => `nope${i}`).join(' ')} }`;
    const response = await testApp.graphql(query, {}, token);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/more tha[nt] 500 tokens/),
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      }),
    ]);
    expect(await overWs(query)).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/more tha[nt] 500 tokens/),
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      }),
    ]);
  });
});
