import { randomUUID } from 'node:crypto';
import { collectStream, textOf } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { FakeOpenAi } from '../../tools/kit/fake-openai-server';
import type { Sql } from '../support/sql';

/**
 * A send whose turn committed but whose generate job was never added (Redis failed right after
 * the commit, the process died before the enqueue): the periodic recovery finds the turn still
 * AWAITING in the database and enqueues it, and the reply is generated and stored once.
 */
describe('a reply whose send never reached the generate queue', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let sql: Sql;

  beforeAll(async () => {
    testApp = await createTestApp(
      { GENERATE_RECOVER_AFTER_MS: '300', GENERATE_RECOVER_INTERVAL_MS: '200' },
      { model: {} },
    );
    model = testApp.model;
    sql = testApp.sql;
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('is recovered from the database: generated, streamed to its subscriber and stored once', async () => {
    model.setScript(() => ({ tokens: ['recovered', ' reply'] }));
    const conversationId = randomUUID();
    const replyId = randomUUID();
    // The writer's half of sendMessage alone: the user message and its AWAITING turn, and no job.
    await testApp.app.useCases.appendChatMessages({
      conversationId,
      userId: 'lee',
      messages: [{ role: 'user', content: 'are you there?' }],
      turn: { replyId, clientMessageId: null, contentSha256: '0'.repeat(64), model: 'WORKER', thinking: false },
    });
    const token = await testApp.token('lee');
    const { events, errors } = await collectStream(testApp.wsClient({ authorization: `Bearer ${token}` }), {
      conversationId,
      replyId,
    });
    expect(errors).toBeUndefined();
    expect(textOf(events)).toBe('recovered reply');
    expect(events.at(-1)).toMatchObject({ __typename: 'ReplyCompleted', message: { id: replyId } });

    await eventually(
      async () => {
        const rows = await sql.query<{ id: string; role: string }>(
          'SELECT id, role FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
          [conversationId],
        );
        expect(rows.map((r) => r.role)).toEqual(['user', 'assistant']);
        expect(rows[1]?.id).toBe(replyId);
      },
      { timeoutMs: 30_000 },
    );
    const [turn] = await sql.query<{ status: string }>('SELECT status FROM chat_turns WHERE reply_id = ?', [replyId]);
    expect(turn?.status).toBe('REPLIED');
    expect(model.requests).toHaveLength(1);
    expect(
      (await testApp.app.metrics.registry.getSingleMetric('agent_relay_replies_recovered_total')?.get())?.values[0]
        ?.value,
    ).toBe(1);
  }, 60_000);
});
