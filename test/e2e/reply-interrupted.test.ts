import { Redis } from 'ioredis';
import type { AppConfig } from '../../src/config';
import { mintToken } from '../../src/infra/auth/jwt';
import { SEND_MESSAGE, collectStream, textOf, type StreamEvent } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { startFakeOpenAi, type FakeOpenAi } from '../../tools/kit/fake-openai-server';
import { startMain } from '../support/main-process';
import { openSql } from '../support/sql';
import { testConfig, testEnv } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';

/** A short lock and stalled check, so the takeover takes seconds, not the default tens of seconds. */
const TAKEOVER = { GENERATE_LOCK_MS: '2000', GENERATE_STALLED_INTERVAL_MS: '500' };

type Main = ReturnType<typeof startMain>;

/**
 * The process generating a reply dies mid-stream (SIGKILL: no graceful stop, no event of its
 * own). Its generate job's lock runs out, another process of the deployment takes the job over
 * and generates the reply again: the subscriber sees the partial text, ReplyRestarted, the whole
 * reply and ReplyCompleted, and history holds exactly one assistant message for the send.
 */
describe('a reply whose generating process was killed', () => {
  let model: FakeOpenAi;
  let requests = 0;
  const apps: TestApp[] = [];
  const processes: Main[] = [];
  const redis: Redis[] = [];

  beforeAll(async () => {
    model = await startFakeOpenAi();
  });
  beforeEach(() => {
    // The first request (the doomed process's) stalls after two tokens; the takeover's completes.
    requests = 0;
    model.setScript(() => {
      requests += 1;
      return requests === 1
        ? { tokens: ['one', ' two', ' three'], stallAfter: 2 }
        : { tokens: ['one', ' two', ' three'] };
    });
  });
  afterEach(async () => {
    for (const main of processes.splice(0)) main.child.kill('SIGKILL');
    for (const client of redis.splice(0)) client.disconnect();
    for (const app of apps.splice(0)) await app.close();
  });
  afterAll(async () => {
    await model.close();
  });

  const start = (env: Record<string, string | undefined>, roles: string) => {
    const main = startMain({ ...env, LOG_LEVEL: 'info', ROLES: roles, METRICS_PORT: '0' });
    processes.push(main);
    return main;
  };
  const isGenerating = (replyId: string) => (line: Record<string, unknown>) =>
    line['msg'] === 'generating reply' && line['replyId'] === replyId;

  const send = async (url: string, token: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'tell me three things' } } }),
    });
    const body = (await response.json()) as {
      data?: { sendMessage: { conversation: { id: string }; replyId: string } };
    };
    expect(body).toMatchObject({ data: { sendMessage: { replyId: expect.any(String) } } });
    return { conversationId: body.data!.sendMessage.conversation.id, replyId: body.data!.sendMessage.replyId };
  };

  /** Waits until the doomed process has streamed part of the reply (and is now stalled on the model). */
  const streamedByDoomed = async (
    doomed: Main,
    config: AppConfig,
    sent: { conversationId: string; replyId: string },
  ) => {
    const generating = await doomed.logLine(isGenerating(sent.replyId));
    expect(generating['pid']).toBe(doomed.child.pid);
    const client = new Redis(config.redis.url);
    redis.push(client);
    const streamKey = `${config.redis.prefix}:chat:reply:kim:${sent.conversationId}:${sent.replyId}`;
    await eventually(async () => expect(Number(await client.xlen(streamKey))).toBeGreaterThanOrEqual(1));
    await eventually(() => expect(requests).toBe(1));
  };

  const expectRestartedThenCompleted = (events: StreamEvent[], replyId: string) => {
    const restart = events.findIndex((e) => e.__typename === 'ReplyRestarted');
    expect(restart).toBeGreaterThan(0);
    expect(textOf(events.slice(0, restart))).toBe('one two');
    expect(textOf(events.slice(restart))).toBe('one two three');
    expect(events.at(-1)).toMatchObject({
      __typename: 'ReplyCompleted',
      message: { id: replyId, content: 'one two three', partial: false },
    });
    expect(events.filter((e) => e.__typename === 'ReplyCompleted' || e.__typename === 'ReplyFailed')).toHaveLength(1);
  };

  const expectStoredOnce = async (config: AppConfig, sent: { conversationId: string; replyId: string }) => {
    const sql = await openSql(config.db);
    try {
      await eventually(
        async () => {
          const rows = await sql.query<{ id: string; role: string; content: string; partial: number }>(
            'SELECT id, role, content, `partial` FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
            [sent.conversationId],
          );
          expect(rows.map((r) => [r.role, r.content, Number(r.partial)])).toEqual([
            ['user', 'tell me three things', 0],
            ['assistant', 'one two three', 0],
          ]);
          expect(rows[1]?.id).toBe(sent.replyId);
        },
        { timeoutMs: 30_000 },
      );
      const [turn] = await sql.query<{ status: string }>('SELECT status FROM chat_turns WHERE reply_id = ?', [
        sent.replyId,
      ]);
      expect(turn?.status).toBe('REPLIED');
    } finally {
      await sql.close();
    }
  };

  it('in an api process: another api process takes it over, restarts it, completes it, and it is stored once', async () => {
    const env = testEnv({ OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test-key', ...TAKEOVER });
    const config = testConfig(env);
    await createTestDatabase(config.db);
    // The doomed process is the only generator when the send arrives, so it takes the job.
    const doomed = start(env, 'api');
    const token = await mintToken(config.auth, { userId: 'kim', roles: ['user'], ttlSeconds: 600 });
    const sent = await send(await doomed.listening, token);
    await streamedByDoomed(doomed, config, sent);

    // The survivor: same database, Redis prefix and secret; it relays, consumes and generates.
    const survivor = await createTestApp(env);
    apps.push(survivor);
    const outcome = collectStream(survivor.wsClient({ authorization: `Bearer ${token}` }), sent);
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const killedAt = Date.now();

    const { events, errors } = await outcome;
    expect(errors).toBeUndefined();
    expectRestartedThenCompleted(events, sent.replyId);
    // Lock 2 s + stalled check 0.5 s, plus the rerun; generous for a shared machine.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    await expectStoredOnce(config, sent);
    expect(
      (await survivor.app.metrics.registry.getSingleMetric('agent_relay_reply_restarts_total')?.get())?.values[0]
        ?.value,
    ).toBe(1);
  }, 90_000);

  it('in a ROLES=generator process behind an api that does not generate: another generator takes it over', async () => {
    const env = testEnv({
      OPENAI_BASE_URL: model.baseUrl,
      OPENAI_API_KEY: 'test-key',
      GENERATE_IN_API: 'false',
      ...TAKEOVER,
    });
    const config = testConfig(env);
    // The api side (api, relay, consumer) takes the send and serves the stream; it never generates.
    const api = await createTestApp(env);
    apps.push(api);
    const doomed = start(env, 'generator');
    await doomed.logLine((line) => line['msg'] === 'generate-worker ready');
    const token = await api.token('kim');
    const sent = await send(api.url, token);
    await streamedByDoomed(doomed, config, sent);

    const outcome = collectStream(api.wsClient({ authorization: `Bearer ${token}` }), sent);
    const survivor = start(env, 'generator');
    await survivor.logLine((line) => line['msg'] === 'generate-worker ready');
    doomed.child.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');

    const { events, errors } = await outcome;
    expect(errors).toBeUndefined();
    expectRestartedThenCompleted(events, sent.replyId);
    const takeover = await survivor.logLine(isGenerating(sent.replyId));
    expect(takeover).toMatchObject({ pid: survivor.child.pid, start: 2 });
    await expectStoredOnce(config, sent);
  }, 90_000);
});
