import { randomUUID } from 'node:crypto';
import { aChatMessage } from '../support/builders';
import { brokerControl } from '../support/broker-control';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

interface Stats {
  outboxStats: {
    publishingBlockedSince: string | null;
    publishingBlockedReason: string | null;
    publishingBlockedRelays: number;
  };
}

describe('Kafka broker outage', () => {
  const broker = brokerControl();
  let testApp: TestApp;
  let sql: Sql;

  beforeAll(async () => {
    // A retry schedule that would have spent every row's attempts in about a second: the
    // outage below lasts many times longer, so only a pause that spends none keeps rows alive.
    testApp = await createTestApp({
      RELAY_POLL_INTERVAL_MS: '200',
      RELAY_MAX_ATTEMPTS: '3',
      RELAY_BACKOFF_BASE_MS: '100',
      RELAY_BACKOFF_CAP_MS: '200',
      RELAY_BLOCKED_PROBE_CAP_MS: '1000',
    });
    sql = testApp.sql;
  });
  afterAll(async () => {
    broker.start();
    await testApp.close();
  });

  const write = (conversationId: string, count: number) =>
    testApp.app.useCases.appendChatMessages({
      conversationId,
      userId: 'u1',
      messages: Array.from({ length: count }, () => aChatMessage()),
    });
  const byStatus = async () =>
    Object.fromEntries(
      (
        await sql.query<{ status: string; n: number }>(
          'SELECT status, COUNT(*) AS n FROM outbox_messages GROUP BY status',
        )
      ).map((r) => [r.status, Number(r.n)]),
    );
  const maxAttempts = async () =>
    Number((await sql.query<{ n: number }>('SELECT COALESCE(MAX(attempts), 0) AS n FROM outbox_messages'))[0]?.n);
  const readyz = async () => {
    const response = await fetch(`${testApp.baseUrl}/readyz`);
    return {
      httpStatus: response.status,
      ...((await response.json()) as {
        status: string;
        checks: Record<string, string>;
        degraded?: Record<string, string>;
      }),
    };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`${testApp.baseUrl}/metrics`)).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const stats = async () => {
    const token = await testApp.token('ops-1', ['user', 'ops']);
    const response = await testApp.graphql<Stats>(
      '{ outboxStats { publishingBlockedSince publishingBlockedReason publishingBlockedRelays } }',
      {},
      token,
    );
    return response.body.data!.outboxStats;
  };

  it('keeps rows PENDING with no attempt spent while the broker is down, shows the outage, then delivers all of them once, in order', async () => {
    const conversations = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of conversations) await write(id, 3);
    await eventually(async () => expect(await byStatus()).toEqual({ CONSUMED: 9 }), { timeoutMs: 30_000 });

    broker.stop();
    for (const id of conversations) await write(id, 3);
    await eventually(
      async () => {
        // Degraded, not out of service: the api keeps taking messages into the outbox.
        expect(await readyz()).toMatchObject({
          httpStatus: 200,
          status: 'degraded',
          checks: { kafka: 'degraded', 'relay-worker': 'degraded', database: 'ok', redis: 'ok' },
          degraded: {
            kafka: expect.stringContaining('broker unreachable'),
            'relay-worker': expect.stringMatching(/publishing blocked since .*(ECONNREFUSED|Connection)/),
          },
        });
        expect(await metric('agent_relay_relay_publishing_blocked')).toBe(1);
        expect(await stats()).toMatchObject({
          publishingBlockedSince: expect.any(String),
          publishingBlockedReason: expect.stringMatching(/Connection|ECONNREFUSED/),
          publishingBlockedRelays: 1,
        });
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    // Several probes (each gives the nine rows back untouched), long past the old schedule.
    await eventually(async () => expect(await metric('agent_relay_relay_unsent_total')).toBeGreaterThanOrEqual(9 * 4), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    expect(await byStatus()).toEqual({ CONSUMED: 9, PENDING: 9 });
    expect(await maxAttempts()).toBe(0);

    broker.start();
    await eventually(async () => expect(await byStatus()).toEqual({ CONSUMED: 18 }), {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    for (const id of conversations) {
      const history = await sql.query<{ seq: number }>(
        'SELECT seq FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
        [id],
      );
      expect(history.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const [duplicates] = await sql.query<{ n: number }>(
      'SELECT COUNT(*) - COUNT(DISTINCT event_id) AS n FROM chat_messages',
    );
    expect(Number(duplicates?.n)).toBe(0);
    expect(await maxAttempts()).toBe(0);
    await eventually(
      async () => {
        expect(await metric('agent_relay_relay_publishing_blocked')).toBe(0);
        expect(await readyz()).toMatchObject({ httpStatus: 200, status: 'ready' });
        expect(await stats()).toEqual({
          publishingBlockedSince: null,
          publishingBlockedReason: null,
          publishingBlockedRelays: 0,
        });
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });
});
