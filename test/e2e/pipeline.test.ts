import { randomUUID } from 'node:crypto';
import { aChatMessage } from '../support/builders';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

describe('outbox → relay → Kafka → history, through the real app', () => {
  let testApp: TestApp;
  let sql: Sql;
  beforeAll(async () => {
    testApp = await createTestApp();
    sql = testApp.sql;
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('persists every appended message once, in conversation order, and marks its row CONSUMED', async () => {
    const conversations = [randomUUID(), randomUUID()];
    for (const conversationId of conversations) {
      for (let i = 0; i < 3; i += 1) {
        await testApp.app.useCases.appendChatMessages({
          conversationId,
          userId: 'u1',
          messages: [aChatMessage({ content: `m${i}` }), aChatMessage({ role: 'assistant', content: `r${i}` })],
        });
      }
    }
    await eventually(
      async () => {
        const rows = await sql.query<{ status: string; n: number }>(
          'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status',
        );
        expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([['CONSUMED', 12]]);
      },
      { timeoutMs: 20_000 },
    );
    for (const conversationId of conversations) {
      const history = await sql.query<{ seq: number; content: string }>(
        'SELECT seq, content FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
        [conversationId],
      );
      expect(history.map((h) => `${h.seq}:${h.content}`)).toEqual(['1:m0', '2:r0', '3:m1', '4:r1', '5:m2', '6:r2']);
      const [conversation] = await sql.query<{ message_count: number; last_seq: number }>(
        'SELECT message_count, last_seq FROM conversations WHERE id = ?',
        [conversationId],
      );
      expect(conversation).toMatchObject({ message_count: 6, last_seq: 6 });
    }
  });
});
