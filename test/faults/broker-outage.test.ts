import { randomUUID } from 'node:crypto';
import { aChatMessage } from '../support/builders';
import { brokerControl } from '../support/broker-control';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { openSql, type Sql } from '../support/sql';

describe('Kafka broker outage', () => {
  const broker = brokerControl();
  let testApp: TestApp;
  let sql: Sql;

  beforeAll(async () => {
    testApp = await createTestApp({ RELAY_POLL_INTERVAL_MS: '200', RELAY_BACKOFF_BASE_MS: '200', RELAY_BACKOFF_CAP_MS: '5000', RELAY_MAX_ATTEMPTS: '100' });
    sql = await openSql(testApp.config.db);
  });
  afterAll(async () => {
    broker.start();
    await sql.close();
    await testApp.close();
  });

  const write = (conversationId: string, count: number) =>
    testApp.app.useCases.appendChatMessages({ conversationId, userId: 'u1', messages: Array.from({ length: count }, () => aChatMessage()) });
  const byStatus = async () =>
    Object.fromEntries((await sql.query<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status')).map((r) => [r.status, Number(r.n)]));

  /**
   * For the most-tried PENDING row: bounds on the delay scheduled after each failed attempt. The
   * failure happened between the previous poll and the one that first saw it, so the delay is at
   * most next_attempt_at − previous poll and at least next_attempt_at − this poll, however late
   * a poll runs on this shared event loop.
   */
  const observeBackoff = async (upTo: number) => {
    const delays: Record<number, { atLeast: number; atMost: number }> = {};
    let previousPollAt: string | undefined;
    await eventually(async () => {
      const [row] = await sql.query<{ attempts: number; atLeast: number; atMost: number | null; now: string }>(
        `SELECT attempts, TIMESTAMPDIFF(MICROSECOND, NOW(3), next_attempt_at) / 1000 AS atLeast, TIMESTAMPDIFF(MICROSECOND, ?, next_attempt_at) / 1000 AS atMost,
           DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') AS now FROM outbox_messages WHERE status = 'PENDING' ORDER BY attempts DESC, id LIMIT 1`,
        [previousPollAt ?? null],
      );
      const attempts = Number(row?.attempts ?? 0);
      if (attempts > 0 && previousPollAt && delays[attempts] === undefined) delays[attempts] = { atLeast: Number(row?.atLeast), atMost: Number(row?.atMost) };
      previousPollAt = row?.now;
      expect(attempts).toBeGreaterThanOrEqual(upTo);
    }, { timeoutMs: 60_000, intervalMs: 20 });
    return delays;
  };

  it('keeps rows PENDING with growing backoff while the broker is down, then delivers all of them once, in order', async () => {
    const conversations = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of conversations) await write(id, 3);
    await eventually(async () => expect(await byStatus()).toEqual({ CONSUMED: 9 }), { timeoutMs: 30_000 });

    broker.stop();
    for (const id of conversations) await write(id, 3);
    const delays = await observeBackoff(4);
    expect(await byStatus()).toEqual({ CONSUMED: 9, PENDING: 9 });
    // Jitter keeps delay(n) within [ceiling/2, ceiling] and the ceiling doubles: with a 200 ms
    // base the 4th retry waits at least 800 ms (750: the commit lands a few ms after the relay's
    // clock reading, possibly after the previous poll), the 2nd at most 400 ms.
    expect(delays[4]?.atMost).toBeGreaterThanOrEqual(750);
    expect(delays[4]?.atMost).toBeGreaterThan(delays[2]?.atLeast ?? Number.POSITIVE_INFINITY);

    broker.start();
    await eventually(async () => expect(await byStatus()).toEqual({ CONSUMED: 18 }), { timeoutMs: 90_000, intervalMs: 250 });
    for (const id of conversations) {
      const history = await sql.query<{ seq: number }>('SELECT seq FROM chat_messages WHERE conversation_id = ? ORDER BY seq', [id]);
      expect(history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const [duplicates] = await sql.query<{ n: number }>('SELECT COUNT(*) - COUNT(DISTINCT event_id) AS n FROM chat_messages');
    expect(Number(duplicates?.n)).toBe(0);
  });
});
