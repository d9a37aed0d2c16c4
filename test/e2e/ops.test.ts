import { anEnvelope, NEVER_STAMPED } from '../support/builders';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import type { Sql } from '../support/sql';

const ROW = 'id status attempts lastError replayedBy replayReason discardedBy discardReason';

describe('ops API over the outbox', () => {
  let testApp: TestApp;
  let sql: Sql;
  let ops: string;
  let user: string;

  beforeAll(async () => {
    testApp = await createTestApp();
    sql = testApp.sql;
    ops = await testApp.token('olga', ['user', 'ops']);
    user = await testApp.token('ursula');
  });
  afterAll(async () => {
    await testApp.close();
  });

  /** A row the relay gave up on: DEAD after its attempts, with the broker's last error. */
  const insertDeadRow = async () => {
    const envelope = anEnvelope({ seq: 1 });
    await sql.run(
      'INSERT INTO conversations (id, user_id, last_seq, message_count, created_at, updated_at) VALUES (?, ?, 1, 0, NOW(3), NOW(3))',
      [envelope.conversationId, 'ursula'],
    );
    await sql.run(
      `INSERT INTO outbox_messages (event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, attempts, max_attempts, next_attempt_at, last_error, created_at, dead_at, ${NEVER_STAMPED.columns})
       VALUES (?, ?, 1, ?, ?, ?, '{}', 'DEAD', 10, 10, NOW(3), 'broker said no', NOW(3), NOW(3), ${NEVER_STAMPED.values})`,
      [
        envelope.eventId,
        envelope.conversationId,
        envelope.eventType,
        testApp.config.kafka.topic,
        JSON.stringify(envelope.payload),
      ],
    );
    const [row] = await sql.query<{ id: number }>('SELECT id FROM outbox_messages WHERE event_id = ?', [
      envelope.eventId,
    ]);
    return { id: String(row!.id), envelope };
  };
  const gql = <T>(query: string, variables: Record<string, unknown>, bearer: string) =>
    testApp.graphql<T>(query, variables, bearer);

  it.each([
    ['outboxMessages', '{ outboxMessages(status: DEAD) { edges { node { id } } } }'],
    ['outboxStats', '{ outboxStats { oldestPendingAgeSeconds } }'],
    ['replayOutboxMessage', 'mutation { replayOutboxMessage(id: "1") { id } }'],
    ['discardOutboxMessage', 'mutation { discardOutboxMessage(id: "1", reason: "x") { id } }'],
  ])('denies %s to a caller without the ops role', async (_name, query) => {
    const response = await gql(query, {}, user);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists DEAD rows newest first with the last error, and counts them in the stats', async () => {
    const older = await insertDeadRow();
    const newer = await insertDeadRow();
    const list = await gql<{ outboxMessages: { edges: { node: { id: string; lastError: string } }[] } }>(
      `{ outboxMessages(status: DEAD, first: 500) { edges { node { ${ROW} } } } }`,
      {},
      ops,
    );
    const ids = list.body.data!.outboxMessages.edges.map((e) => e.node.id);
    expect(ids.indexOf(newer.id)).toBeLessThan(ids.indexOf(older.id));
    expect(list.body.data!.outboxMessages.edges[0]?.node.lastError).toBe('broker said no');
    const stats = await gql<{ outboxStats: { counts: { status: string; count: number }[] } }>(
      '{ outboxStats { counts { status count } } }',
      {},
      ops,
    );
    expect(stats.body.data!.outboxStats.counts.find((c) => c.status === 'DEAD')?.count).toBeGreaterThanOrEqual(2);
  });

  it('replays a DEAD row: recorded, published and persisted exactly once', async () => {
    const { id, envelope } = await insertDeadRow();
    // Never published or consumed, no log position: the columns hold their "none" values, ops see
    // null. Asked before the replay: once replayed, the relay may publish the row at any moment.
    const lifecycle = `query($id: ID!) { outboxMessage(id: $id) { status publishedAt consumedAt kafkaPartition kafkaOffset } }`;
    const before = await gql<{ outboxMessage: Record<string, unknown> }>(lifecycle, { id }, ops);
    expect(before.body.data?.outboxMessage).toMatchObject({
      status: 'DEAD',
      publishedAt: null,
      consumedAt: null,
      kafkaPartition: null,
      kafkaOffset: null,
    });
    const replayedAt = Date.now();
    const replayed = await gql<{ replayOutboxMessage: Record<string, unknown> }>(
      `mutation($id: ID!) { replayOutboxMessage(id: $id, reason: "broker fixed") { ${ROW} } }`,
      { id },
      ops,
    );
    expect(replayed.body.data?.replayOutboxMessage).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      replayedBy: 'olga',
      replayReason: 'broker fixed',
    });
    await eventually(async () =>
      expect(
        (await sql.query<{ status: string }>('SELECT status FROM outbox_messages WHERE id = ?', [id]))[0]?.status,
      ).toBe('CONSUMED'),
    );
    const after = await gql<{ outboxMessage: { consumedAt: string } }>(lifecycle, { id }, ops);
    expect(Math.abs(Date.parse(after.body.data!.outboxMessage.consumedAt) - replayedAt)).toBeLessThan(60_000);
    const [history] = await sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages WHERE event_id = ?', [
      envelope.eventId,
    ]);
    expect(Number(history?.n)).toBe(1);
    const again = await gql(`mutation($id: ID!) { replayOutboxMessage(id: $id) { id } }`, { id }, ops);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('replays DEAD rows in bulk by filter', async () => {
    const a = await insertDeadRow();
    const response = await gql<{ replayOutboxMessages: { replayed: number } }>(
      'mutation($c: ID!) { replayOutboxMessages(filter: { conversationId: $c }, limit: 10, reason: "bulk") { replayed } }',
      { c: a.envelope.conversationId },
      ops,
    );
    expect(response.body.data?.replayOutboxMessages.replayed).toBe(1);
  });

  it('discards a DEAD row with who and why, after which it cannot be replayed', async () => {
    const { id } = await insertDeadRow();
    const discarded = await gql<{ discardOutboxMessage: Record<string, unknown> }>(
      `mutation($id: ID!) { discardOutboxMessage(id: $id, reason: "duplicate of a manual fix") { ${ROW} } }`,
      { id },
      ops,
    );
    expect(discarded.body.data?.discardOutboxMessage).toMatchObject({
      status: 'DISCARDED',
      discardedBy: 'olga',
      discardReason: 'duplicate of a manual fix',
    });
    const replay = await gql(`mutation($id: ID!) { replayOutboxMessage(id: $id) { id } }`, { id }, ops);
    expect(replay.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('answers NOT_FOUND for an unknown row', async () => {
    const response = await gql(
      'mutation($id: ID!) { replayOutboxMessage(id: $id) { id } }',
      { id: String(Number.MAX_SAFE_INTEGER) },
      ops,
    );
    expect(response.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
