import { Redis } from 'ioredis';
import { mintToken } from '../../src/infra/auth/jwt';
import { SEND_MESSAGE, collectStream, textOf } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai-server';
import { startMain } from '../support/main-process';
import { openSql, type Sql } from '../support/sql';
import { testConfig, testEnv } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';

/** A short lock and stalled check, so the takeover takes seconds, not the default tens of seconds. */
const TAKEOVER = { GENERATE_LOCK_MS: '2000', GENERATE_STALLED_INTERVAL_MS: '500' };

/**
 * The process generating a reply dies mid-stream (SIGKILL: no graceful stop, no event of its
 * own). Its generate job's lock runs out, another process of the deployment takes the job over
 * and generates the reply again: the subscriber sees the partial text, ReplyRestarted, the whole
 * reply and ReplyCompleted, and history holds exactly one assistant message for the send.
 */
describe('a reply whose generating process was killed', () => {
  let model: FakeOpenAi;
  let testApp: TestApp | undefined;
  let redis: Redis | undefined;
  let sql: Sql | undefined;

  beforeAll(async () => {
    model = await startFakeOpenAi();
  });
  afterAll(async () => {
    redis?.disconnect();
    await sql?.close();
    await testApp?.close();
    await model.close();
  });

  it('is taken over by another process, restarted, completed, and stored once', async () => {
    // The first request (the doomed process's) stalls after two tokens; the takeover's completes.
    let requests = 0;
    model.setScript(() => {
      requests += 1;
      return requests === 1 ? { tokens: ['one', ' two', ' three'], stallAfter: 2 } : { tokens: ['one', ' two', ' three'] };
    });
    const env = testEnv({ OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test-key', ...TAKEOVER });
    const config = testConfig(env);
    await createTestDatabase(config.db);
    // The doomed process is the only generator when the send arrives, so it takes the job.
    const doomed = startMain({ ...env, LOG_LEVEL: 'info', ROLES: 'api' });
    try {
      const url = await doomed.listening;
      const token = await mintToken(config.auth, { userId: 'kim', roles: ['user'], ttlSeconds: 600 });
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'tell me three things' } } }),
      });
      const body = (await response.json()) as { data?: { sendMessage: { conversation: { id: string }; replyId: string } } };
      expect(body).toMatchObject({ data: { sendMessage: { replyId: expect.any(String) } } });
      const { conversation, replyId } = body.data!.sendMessage;
      const generating = await doomed.logLine((line) => line['msg'] === 'generating reply' && line['replyId'] === replyId);
      expect(generating['pid']).toBe(doomed.child.pid);
      redis = new Redis(config.redis.url);
      const streamKey = `${config.redis.prefix}:chat:reply:kim:${conversation.id}:${replyId}`;
      await eventually(async () => expect(Number(await redis!.xlen(streamKey))).toBeGreaterThanOrEqual(1));
      await eventually(async () => expect(requests).toBe(1));

      // The survivor: same database, Redis prefix and secret; it relays, consumes and generates.
      testApp = await createTestApp(env);
      const outcome = collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), { conversationId: conversation.id, replyId });
      doomed.child.kill('SIGKILL');
      expect((await doomed.exited).signal).toBe('SIGKILL');
      const killedAt = Date.now();

      const { events, errors } = await outcome;
      const tookOverMs = Date.now() - killedAt;
      expect(errors).toBeUndefined();
      const restart = events.findIndex((e) => e.__typename === 'ReplyRestarted');
      expect(restart).toBeGreaterThan(0);
      expect(textOf(events.slice(0, restart))).toBe('one two');
      expect(textOf(events.slice(restart))).toBe('one two three');
      expect(events.at(-1)).toMatchObject({ __typename: 'ReplyCompleted', message: { id: replyId, content: 'one two three', partial: false } });
      expect(events.filter((e) => e.__typename === 'ReplyCompleted' || e.__typename === 'ReplyFailed')).toHaveLength(1);
      // Lock 2 s + stalled check 0.5 s, plus the rerun; generous for a shared machine.
      expect(tookOverMs).toBeLessThan(15_000);

      sql = await openSql(config.db);
      await eventually(async () => {
        const rows = await sql!.query<{ id: string; role: string; content: string; partial: number }>('SELECT id, role, content, `partial` FROM chat_messages WHERE conversation_id = ? ORDER BY seq', [conversation.id]);
        expect(rows.map((r) => [r.role, r.content, Number(r.partial)])).toEqual([
          ['user', 'tell me three things', 0],
          ['assistant', 'one two three', 0],
        ]);
        expect(rows[1]?.id).toBe(replyId);
      }, { timeoutMs: 30_000 });
      const [turn] = await sql.query<{ status: string }>('SELECT status FROM chat_turns WHERE reply_id = ?', [replyId]);
      expect(turn?.status).toBe('REPLIED');
      expect((await testApp.app.metrics.registry.getSingleMetric('agent_relay_reply_restarts_total')?.get())?.values[0]?.value).toBe(1);
    } finally {
      doomed.child.kill('SIGKILL');
    }
  }, 90_000);
});
