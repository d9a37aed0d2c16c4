import type { Client } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import { CHAT_STREAM, SEND_MESSAGE } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, just enough for these assertions: one sample per line. */
const parseMetrics = (text: string): Sample[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`unparsable metrics line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1] ?? '', labels, value: Number(match[3]) };
    });

/** Sum of the samples of `name` whose labels include `labels`. */
const valueOf = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

const SERIES = [
  ['agent_relay_outbox_rows', 'gauge'],
  ['agent_relay_outbox_oldest_pending_age_seconds', 'gauge'],
  ['agent_relay_relay_batch_rows', 'histogram'],
  ['agent_relay_relay_publish_seconds', 'histogram'],
  ['agent_relay_relay_claims_total', 'counter'],
  ['agent_relay_relay_published_total', 'counter'],
  ['agent_relay_relay_retries_total', 'counter'],
  ['agent_relay_relay_dead_total', 'counter'],
  ['agent_relay_relay_stale_total', 'counter'],
  ['agent_relay_commit_to_consumed_seconds', 'histogram'],
  ['agent_relay_consumer_records_total', 'counter'],
  ['agent_relay_consumer_poison_total', 'counter'],
  ['agent_relay_consumer_lag_messages', 'gauge'],
  ['agent_relay_consumer_batch_seconds', 'histogram'],
  ['agent_relay_graphql_operation_seconds', 'histogram'],
  ['agent_relay_subscriptions_active', 'gauge'],
  ['agent_relay_ws_connections_active', 'gauge'],
  ['agent_relay_graphql_errors_total', 'counter'],
] as const;

describe('/metrics', () => {
  let testApp: TestApp;
  const scrape = async () => {
    const response = await fetch(`${testApp.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    return parseMetrics(await response.text());
  };

  beforeAll(async () => {
    // A model that sends one token and then holds the reply open: a subscription to it stays live.
    testApp = await createTestApp({}, { model: { script: () => ({ tokens: ['one', ' two'], stallAfter: 1 }) } });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('answers without a token in the Prometheus text format, with help and type for every series', async () => {
    const response = await fetch(`${testApp.baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const [name, type] of SERIES) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text).toMatch(new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    }
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(valueOf(parseMetrics(text), 'agent_relay_outbox_rows', { status: 'PENDING' })).toBe(0);
  });

  it('moves with traffic: relay, consumer, latency, outbox rows and GraphQL operations', async () => {
    const before = await scrape();
    const written = 4;
    for (let i = 0; i < written; i += 1) {
      await testApp.app.useCases.appendChatMessages({
        conversationId: randomUUID(),
        userId: 'u1',
        messages: [{ role: 'user', content: 'hi' }],
      });
    }
    const me = await testApp.graphql('query Me { me { userId } }', {}, await testApp.token('u1'));
    expect(me.status).toBe(200);

    await eventually(
      async () => {
        const now = await scrape();
        const grew = (name: string, labels: Record<string, string> = {}) =>
          valueOf(now, name, labels) - valueOf(before, name, labels);
        expect(grew('agent_relay_consumer_records_total', { outcome: 'inserted' })).toBeGreaterThanOrEqual(written);
        // A row the consumer completes before the relay's ack lands is counted stale, not published
        // (the guarded ack changes nothing): every written row is one or the other.
        expect(
          grew('agent_relay_relay_published_total') + grew('agent_relay_relay_stale_total'),
        ).toBeGreaterThanOrEqual(written);
        expect(valueOf(now, 'agent_relay_relay_claims_total')).toBeGreaterThan(0);
        expect(valueOf(now, 'agent_relay_relay_batch_rows_count')).toBeGreaterThan(0);
        expect(valueOf(now, 'agent_relay_relay_publish_seconds_count')).toBeGreaterThan(0);
        expect(valueOf(now, 'agent_relay_commit_to_consumed_seconds_count')).toBeGreaterThan(0);
        expect(valueOf(now, 'agent_relay_consumer_batch_seconds_count')).toBeGreaterThan(0);
        expect(
          valueOf(now, 'agent_relay_graphql_operation_seconds_count', { type: 'query', operation: 'Me' }),
        ).toBeGreaterThan(0);
        expect(valueOf(now, 'agent_relay_outbox_rows', { status: 'CONSUMED' })).toBeGreaterThanOrEqual(written);
        expect(
          now.some((s) => s.name === 'agent_relay_consumer_lag_messages' && s.labels['partition'] !== undefined),
        ).toBe(true);
      },
      { timeoutMs: 20_000 },
    );
  });

  it('counts GraphQL errors by the code the client received', async () => {
    await testApp.graphql('{ me { userId } }');
    await testApp.graphql('{ nope }', {}, await testApp.token());
    await eventually(async () => {
      const now = await scrape();
      expect(valueOf(now, 'agent_relay_graphql_errors_total', { code: 'UNAUTHENTICATED' })).toBeGreaterThanOrEqual(1);
      expect(
        valueOf(now, 'agent_relay_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' }),
      ).toBeGreaterThanOrEqual(1);
    });
  });

  it('tracks WebSocket connections, subscriptions and operations over graphql-ws', async () => {
    const token = await testApp.token('ws-user');
    const client: Client = testApp.wsClient({ authorization: `Bearer ${token}` });
    await new Promise<void>((resolve, reject) =>
      client.subscribe(
        { query: 'query WsMe { me { userId } }' },
        { next: () => undefined, error: reject, complete: resolve },
      ),
    );
    const sent = await testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
      SEND_MESSAGE,
      { input: { content: 'hello' } },
      token,
    );
    const { conversation, replyId } = sent.body.data?.sendMessage ?? {};
    // The model holds the reply open: the subscription stays live until the client leaves.
    const unsubscribe = client.subscribe(
      { query: CHAT_STREAM, variables: { conversationId: conversation?.id, replyId } },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );

    await eventually(async () => {
      const open = await scrape();
      expect(valueOf(open, 'agent_relay_ws_connections_active')).toBe(1);
      expect(valueOf(open, 'agent_relay_subscriptions_active')).toBe(1);
      expect(valueOf(open, 'agent_relay_graphql_operation_seconds_count', { type: 'query', operation: 'WsMe' })).toBe(
        1,
      );
      expect(
        valueOf(open, 'agent_relay_graphql_operation_seconds_count', {
          type: 'subscription',
          operation: 'ChatCliStream',
        }),
      ).toBe(1);
    });

    unsubscribe();
    await eventually(async () => expect(valueOf(await scrape(), 'agent_relay_subscriptions_active')).toBe(0));
    await client.dispose();
    await eventually(async () => expect(valueOf(await scrape(), 'agent_relay_ws_connections_active')).toBe(0));
  });
});

describe('metrics of a process without the api role', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp({ ROLES: 'relay,consumer', METRICS_PORT: '0' });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('serves /metrics on its own listener, with the relay and consumer series moving', async () => {
    const url = testApp.app.metricsUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await testApp.app.useCases.appendChatMessages({
      conversationId: randomUUID(),
      userId: 'u1',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await eventually(
      async () => {
        const response = await fetch(url ?? '');
        expect(response.status).toBe(200);
        const samples = parseMetrics(await response.text());
        // The consumer may complete the one row before the relay's ack lands: then it counts as stale.
        expect(
          valueOf(samples, 'agent_relay_relay_published_total') + valueOf(samples, 'agent_relay_relay_stale_total'),
        ).toBeGreaterThanOrEqual(1);
        expect(valueOf(samples, 'agent_relay_consumer_records_total', { outcome: 'inserted' })).toBeGreaterThanOrEqual(
          1,
        );
        expect(valueOf(samples, 'agent_relay_outbox_rows', { status: 'CONSUMED' })).toBe(1);
      },
      { timeoutMs: 20_000 },
    );
    expect((await fetch((url ?? '').replace(/\/metrics$/, '/graphql'))).status).toBe(404);
  });
});
