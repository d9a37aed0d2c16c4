import { parse, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { Registry } from 'prom-client';
import { createGraphqlMetrics, errorCodeLabel, operationLabel } from '../../src/server/metrics/graphql-metrics';
import { createWsMetrics } from '../../src/server/metrics/ws-metrics';

const setup = () => {
  const registry = new Registry();
  const graphql = createGraphqlMetrics(registry);
  const json = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
  const gauge = async (name: string) => (await json(name))[0]?.value;
  const operationCounts = async () =>
    (await json('agent_relay_graphql_operation_seconds'))
      .filter((v) => (v as { metricName?: string }).metricName === 'agent_relay_graphql_operation_seconds_count')
      .map((v) => [v.labels['type'], v.labels['operation'], v.value]);
  return { graphql, json, gauge, operationCounts };
};

const argsOf = (query: string): ExecutionArgs => ({ schema: {} as GraphQLSchema, document: parse(query) });

describe('GraphQL metric labels', () => {
  it('keeps operation names to [A-Za-z0-9_], 64 characters, "anonymous" when unnamed', () => {
    expect(operationLabel('SendMessage')).toBe('SendMessage');
    expect(operationLabel(undefined)).toBe('anonymous');
    expect(operationLabel('')).toBe('anonymous');
    expect(operationLabel('a-b.c{d}"e')).toBe('abcde');
    expect(operationLabel('x'.repeat(100))).toHaveLength(64);
  });

  it('folds operation names past the cap into "other", so clients cannot mint unbounded series', async () => {
    const { graphql, operationCounts } = setup();
    for (let i = 0; i < 205; i += 1) graphql.observeOperation('query', `Op${i}`, 0.01);
    graphql.observeOperation('query', 'Op0', 0.01);
    const counts = await operationCounts();
    expect(counts).toHaveLength(201);
    expect(counts).toContainEqual(['query', 'other', 5]);
    expect(counts).toContainEqual(['query', 'Op0', 2]);
  });

  it('counts known error codes by name and anything else as OTHER', async () => {
    expect(errorCodeLabel('NOT_FOUND')).toBe('NOT_FOUND');
    expect(errorCodeLabel('SOMETHING_NEW')).toBe('OTHER');
    expect(errorCodeLabel(undefined)).toBe('OTHER');
    const { graphql, json } = setup();
    graphql.countErrors(['RATE_LIMITED', 'RATE_LIMITED', 42]);
    expect((await json('agent_relay_graphql_errors_total')).map((v) => [v.labels['code'], v.value])).toEqual([
      ['RATE_LIMITED', 2],
      ['OTHER', 1],
    ]);
  });
});

describe('graphql-ws metrics', () => {
  it('times queries from subscribe to complete and counts subscriptions while they are open', async () => {
    const { graphql, gauge, operationCounts } = setup();
    const ws = createWsMetrics(graphql);
    const socket = {};
    ws.connected(socket);
    ws.subscribing(socket, '1');
    ws.executed(socket, '1', argsOf('query Me { me { userId } }'));
    ws.completed(socket, '1');
    ws.subscribing(socket, '2');
    ws.executed(socket, '2', argsOf('subscription Stream { chatStream(conversationId: "x") { cursor } }'));
    expect(await gauge('agent_relay_subscriptions_active')).toBe(1);
    expect(await gauge('agent_relay_ws_connections_active')).toBe(1);
    ws.completed(socket, '2');
    expect(await gauge('agent_relay_subscriptions_active')).toBe(0);
    expect(await operationCounts()).toEqual([
      ['query', 'Me', 1],
      ['subscription', 'Stream', 1],
    ]);
  });

  it('takes a subscription out once, whether complete or close comes first', async () => {
    const { graphql, gauge } = setup();
    const ws = createWsMetrics(graphql);
    const socket = {};
    ws.connected(socket);
    for (const id of ['a', 'b']) {
      ws.subscribing(socket, id);
      ws.executed(socket, id, argsOf('subscription { chatStream(conversationId: "x") { cursor } }'));
    }
    ws.completed(socket, 'a');
    ws.closed(socket);
    ws.completed(socket, 'b'); // graphql-ws may complete after the close callback
    ws.closed(socket);
    expect(await gauge('agent_relay_subscriptions_active')).toBe(0);
    expect(await gauge('agent_relay_ws_connections_active')).toBe(0);
  });

  it('drops operations that fail before executing and never counts refused connections', async () => {
    const { graphql, gauge, operationCounts } = setup();
    const ws = createWsMetrics(graphql);
    const refused = {};
    ws.closed(refused);
    const socket = {};
    ws.connected(socket);
    ws.subscribing(socket, '1');
    ws.failed(socket, '1'); // validation error: graphql-ws never calls onComplete for it
    ws.completed(socket, '1');
    expect(await operationCounts()).toEqual([]);
    expect(await gauge('agent_relay_ws_connections_active')).toBe(1);
  });
});
