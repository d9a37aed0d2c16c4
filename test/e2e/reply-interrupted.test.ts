import { Redis } from 'ioredis';
import { SEND_MESSAGE, collectStream, textOf } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai-server';
import { startMain } from '../support/main-process';
import { testEnv } from '../support/test-config';

/**
 * A process that dies mid-reply (SIGKILL: no graceful stop, no FAILED event of its own). Another
 * API process of the same deployment finds the reply's lease expired and ends it as INTERRUPTED,
 * so a subscriber is told instead of waiting forever.
 */
describe('a reply whose process was killed', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    model = await startFakeOpenAi();
  });
  afterAll(async () => {
    redis?.disconnect();
    await testApp?.close();
    await model.close();
  });

  it('ends as ReplyFailed INTERRUPTED for its subscribers, after the tokens it streamed', async () => {
    model.setScript(() => ({ tokens: ['one', ' two', ' three'], stallAfter: 2 }));
    const env = testEnv({ OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test-key', REPLY_LEASE_MS: '1500' });
    // The survivor: same database, Redis prefix and JWT secret as the process about to die.
    testApp = await createTestApp(env);
    redis = new Redis(testApp.config.redis.url);
    const doomed = startMain({ ...env, LOG_LEVEL: 'info', ROLES: 'api' });
    try {
      const url = await doomed.listening;
      const token = await testApp.token('kim');
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'tell me three things' } } }),
      });
      const { data } = (await response.json()) as { data: { sendMessage: { conversation: { id: string }; replyId: string } } };
      const { conversation, replyId } = data.sendMessage;
      const streamKey = `${testApp.config.redis.prefix}:chat:reply:kim:${conversation.id}:${replyId}`;
      await eventually(async () => expect(await redis.xlen(streamKey)).toBeGreaterThanOrEqual(2));

      const outcome = collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), { conversationId: conversation.id, replyId });
      doomed.child.kill('SIGKILL');
      expect((await doomed.exited).signal).toBe('SIGKILL');

      const { events, errors } = await outcome;
      expect(errors).toBeUndefined();
      expect(textOf(events)).toBe('one two');
      expect(events.at(-1)).toMatchObject({ __typename: 'ReplyFailed', code: 'INTERRUPTED', partialMessageId: null });
      expect(events.filter((e) => e.__typename === 'ReplyFailed')).toHaveLength(1);
    } finally {
      doomed.child.kill('SIGKILL');
    }
  }, 60_000);
});
