import type { Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/infra/logger';
import { chatKeys } from '../../src/infra/redis/redis-keys';
import { SEND_MESSAGE, collectStream, type StreamOutcome } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred, eventually } from '../support/eventually';
import { defaultScript, type FakeOpenAi } from '../../tools/kit/fake-openai-server';

interface Sent {
  sendMessage: { conversation: { id: string }; replyId: string };
}

/** Log lines of the app under test, parsed. */
const captureLogs = () => {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level: 'info' }, {}, stream), lines };
};

/** Resolves with the close code once the client's socket closes. */
const closedWith = (client: Client) => {
  const closed = deferred<number>();
  client.on('closed', (event) => closed.resolve((event as { code: number }).code));
  return closed.promise;
};

describe('abuse: subscriptions end, sockets survive, connections are bounded', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let redis: Redis;
  let token: string;
  const logs = captureLogs();

  beforeAll(async () => {
    testApp = await createTestApp(
      {
        RATE_LIMIT_SEND_PER_MINUTE: '1000',
        CHAT_STREAM_IDLE_TIMEOUT_MS: '1500',
        CHAT_STREAM_START_GRACE_MS: '300',
        WS_MAX_CONNECTIONS_PER_USER: '2',
      },
      { logger: logs.logger, model: {} },
    );
    model = testApp.model;
    redis = new Redis(testApp.config.redis.url);
    token = await testApp.token('mallory');
  });
  afterEach(() => model.setScript(defaultScript));
  afterAll(async () => {
    redis.disconnect();
    await testApp.close();
  });

  const send = async (content: string, bearer = token) => {
    const response = await testApp.graphql<Sent>(SEND_MESSAGE, { input: { content } }, bearer);
    if (!response.body.data) throw new Error(JSON.stringify(response.body.errors));
    return {
      conversationId: response.body.data.sendMessage.conversation.id,
      replyId: response.body.data.sendMessage.replyId,
    };
  };
  const codesOf = (outcome: StreamOutcome) => outcome.errors?.map((e) => e.extensions?.code);
  /** A reply that streams one token and then nothing, with its subscription open. */
  const stalledReply = async (client: Client) => {
    model.setScript(() => ({ tokens: ['first', ' never'], stallAfter: 1 }));
    const target = await send('stall please');
    const firstEvent = deferred<void>();
    const events: unknown[] = [];
    const outcome = new Promise<StreamOutcome>((resolve) => {
      client.subscribe(
        {
          query: 'subscription($c: ID!, $r: ID) { chatStream(conversationId: $c, replyId: $r) { cursor } }',
          variables: { c: target.conversationId, r: target.replyId },
        },
        {
          next: (r) =>
            r.errors
              ? resolve({ events: [], errors: r.errors as StreamOutcome['errors'] })
              : (events.push(r.data), firstEvent.resolve()),
          error: (e) => resolve({ events: [], errors: [{ message: String(e) }] }),
          complete: () => resolve({ events: [] }),
        },
      );
    });
    await firstEvent.promise;
    return { target, outcome, events };
  };

  it('ends chatStream on a reply that does not exist with NOT_FOUND, at once', async () => {
    const { conversationId } = await send('hello');
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    const started = performance.now();
    const outcome = await collectStream(client, { conversationId, replyId: randomUUID() });
    expect(codesOf(outcome)).toEqual(['NOT_FOUND']);
    expect(performance.now() - started).toBeLessThan(1_500);
    await client.dispose();
  });

  it("ends chatStream on another user's reply with NOT_FOUND", async () => {
    const theirs = await send('mine', await testApp.token('victim'));
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    expect(codesOf(await collectStream(client, theirs))).toEqual(['NOT_FOUND']);
    await client.dispose();
  });

  it('ends chatStream on a reply whose stream expired with REPLY_EXPIRED', async () => {
    const target = await send('expire me');
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    expect((await collectStream(client, target)).events.at(-1)?.__typename).toBe('ReplyCompleted');
    // What the stream's TTL does after REPLY_STREAM_TTL_SECONDS.
    await redis.del(chatKeys(testApp.config.redis.prefix).reply({ userId: 'mallory', ...target }));
    expect(codesOf(await collectStream(client, target))).toEqual(['REPLY_EXPIRED']);
    await client.dispose();
  });

  it('completes a subscription that saw no event for CHAT_STREAM_IDLE_TIMEOUT_MS', async () => {
    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    const { outcome, events } = await stalledReply(client);
    const started = performance.now();
    expect(await outcome).toEqual({ events: [] });
    expect(events).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
    await client.dispose();
  });

  it('refuses an out-of-range cursor with BAD_USER_INPUT and keeps the socket and its other subscriptions', async () => {
    // Not lazy: the client keeps its socket open between operations, so any close is the server's.
    const client = testApp.wsClient({ authorization: `Bearer ${token}` }, { lazy: false });
    const closed = closedWith(client);
    const { target, outcome } = await stalledReply(client);
    const bad = await collectStream(client, { ...target, after: '99999999999999999999-0' });
    expect(codesOf(bad)).toEqual(['BAD_USER_INPUT']);
    // The sibling still runs: it ends on its own idle timeout, not with the socket.
    expect(await outcome).toEqual({ events: [] });
    expect(await Promise.race([closed, Promise.resolve('open')])).toBe('open');
    await client.dispose();
  });

  it('ends only the affected subscription with SERVICE_UNAVAILABLE and a log line when Redis fails mid-stream', async () => {
    const client = testApp.wsClient({ authorization: `Bearer ${token}` }, { lazy: false });
    const closed = closedWith(client);
    const { target, outcome } = await stalledReply(client);
    // The reader's next XRANGE now fails (WRONGTYPE), as a command refused by Redis would.
    const key = chatKeys(testApp.config.redis.prefix).reply({ userId: 'mallory', ...target });
    await redis.multi().del(key).set(key, 'not a stream').exec();
    expect(codesOf(await outcome)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ msg: 'chatStream ended by a reply-stream failure', replyId: target.replyId }),
    );
    const still = await testApp.graphql<{ me: { userId: string } }>('{ me { userId } }', {}, token);
    expect(still.body.data?.me.userId).toBe('mallory');
    model.setScript(defaultScript);
    const next = await collectStream(client, await send('after the failure'));
    expect(next.events.at(-1)?.__typename).toBe('ReplyCompleted');
    expect(await Promise.race([closed, Promise.resolve('open')])).toBe('open');
    await client.dispose();
  });

  it('closes connections over WS_MAX_CONNECTIONS_PER_USER with 4029, other users unaffected', async () => {
    const open = async (userId: string) => {
      const client = testApp.wsClient(
        { authorization: `Bearer ${await testApp.token(userId)}` },
        { lazy: false, onNonLazyError: () => undefined },
      );
      const outcome = await new Promise<'connected' | number>((resolve) => {
        client.on('connected', () => resolve('connected'));
        client.on('closed', (event) => resolve((event as { code: number }).code));
      });
      return { client, outcome };
    };
    const first = await open('hog');
    const second = await open('hog');
    const third = await open('hog');
    expect([first.outcome, second.outcome, third.outcome]).toEqual(['connected', 'connected', 4029]);
    expect((await open('bystander')).outcome).toBe('connected');
    await first.client.dispose();
    await eventually(async () => expect((await open('hog')).outcome).toBe('connected'));
  });
});
