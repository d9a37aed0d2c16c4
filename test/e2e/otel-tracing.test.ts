import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { SEND_MESSAGE } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const linkedTo = (span: ReadableSpan, target: ReadableSpan) =>
  span.links.some((link) => link.context.spanId === idOf(target));

/** Sends one message over HTTP with the given traceparent and answers its conversation id. */
const sendMessage = async (testApp: TestApp, traceparent: string) => {
  const response = await fetch(testApp.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await testApp.token()}`, traceparent },
    body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'trace me' } } }),
  });
  const body = (await response.json()) as { data?: { sendMessage: { conversation: { id: string } } } };
  const conversationId = body.data?.sendMessage.conversation.id;
  if (!conversationId) throw new Error(`sendMessage failed: ${JSON.stringify(body)}`);
  return conversationId;
};

describe('OpenTelemetry tracing on (an OTLP endpoint is set)', () => {
  const exporter = new InMemorySpanExporter();
  let testApp: TestApp;

  beforeAll(async () => {
    // The endpoint switches tracing on; the in-memory exporter takes the OTLP exporter's place.
    testApp = await createTestApp({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, { spanExporter: exporter });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it("puts one message's whole way, and its reply's, into the trace of the request that sent it", async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const conversationId = await sendMessage(testApp, `00-${traceId}-${clientSpanId}-01`);

    const inTrace = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const one = (spans: ReadableSpan[], name: string, where: (span: ReadableSpan) => boolean = () => true) => {
      const found = spans.filter((span) => span.name === name && where(span));
      expect(found.map((span) => span.name)).toEqual([name]);
      return found[0]!;
    };
    // Both messages persisted: the user's and the reply's `history persist` spans have ended.
    const spans = await eventually(
      () => {
        const all = inTrace();
        expect(all.filter((span) => span.name === 'history persist')).toHaveLength(2);
        return all;
      },
      { timeoutMs: 20_000 },
    );
    const all = exporter.getFinishedSpans();

    const operation = one(spans, 'mutation ChatCliSend');
    expect(operation).toMatchObject({
      kind: SpanKind.SERVER,
      attributes: { 'graphql.operation.type': 'mutation', 'agent_relay.transport': 'http' },
    });
    expect(parentOf(operation)).toBe(clientSpanId);

    const writeOf = (seq: number) =>
      one(spans, 'outbox write', (span) => span.attributes['agent_relay.message.seq'] === seq);
    const userWrite = writeOf(1);
    expect(userWrite.attributes['agent_relay.conversation.id']).toBe(conversationId);
    expect(parentOf(userWrite)).toBe(idOf(operation));

    // The relay's produce of each row descends from the write that committed it, and is linked to the batch's send.
    const publishes = spans.filter((span) => span.name.startsWith('publish '));
    const userPublish = one(publishes, publishes[0]!.name, (span) => parentOf(span) === idOf(userWrite));
    expect(userPublish.kind).toBe(SpanKind.PRODUCER);
    expect(userPublish.attributes['messaging.kafka.offset']).toEqual(expect.any(Number));
    const sendSpan = all.find((span) => span.name.startsWith('send ') && linkedTo(userPublish, span));
    expect(sendSpan).toBeDefined();
    // The batch's own trace: the round, its claim and its send.
    const round = all.find((span) => idOf(span) === parentOf(sendSpan!));
    expect(round?.name).toBe('outbox relay');
    expect(all.some((span) => span.name === 'outbox claim' && parentOf(span) === idOf(round!))).toBe(true);

    // The consumer's persist descends from the produce (the Kafka header), linked to its batch and transaction.
    const userPersist = one(spans, 'history persist', (span) => parentOf(span) === idOf(userPublish));
    expect(userPersist.kind).toBe(SpanKind.CONSUMER);
    const batch = all.find((span) => span.name.startsWith('process ') && linkedTo(userPersist, span));
    expect(batch).toBeDefined();
    expect(linkedTo(batch!, userPublish)).toBe(true);
    expect(all.some((span) => span.name === 'history transaction' && parentOf(span) === idOf(batch!))).toBe(true);

    // The reply: generated under the user's write (the turn keeps its context), then the same way again.
    const generate = one(spans, 'generate reply');
    expect(parentOf(generate)).toBe(idOf(userWrite));
    expect(generate.attributes['agent_relay.reply.outcome']).toBe('completed');
    const replyWrite = writeOf(2);
    expect(parentOf(replyWrite)).toBe(idOf(generate));
    const replyPublish = one(publishes, userPublish.name, (span) => parentOf(span) === idOf(replyWrite));
    one(spans, 'history persist', (span) => parentOf(span) === idOf(replyPublish));
  });

  it('traces an operation sent over the WebSocket like one over HTTP', async () => {
    const client = testApp.wsClient({ authorization: `Bearer ${await testApp.token()}` });
    const result = await new Promise<{ data?: { sendMessage: { conversation: { id: string } } } | null }>(
      (resolve, reject) => {
        client.subscribe(
          { query: SEND_MESSAGE, variables: { input: { content: 'over the socket' } } },
          { next: resolve as never, error: reject, complete: () => undefined },
        );
      },
    );
    const conversationId = result.data?.sendMessage.conversation.id;
    expect(conversationId).toBeDefined();
    const write = await eventually(
      () => {
        const found = exporter
          .getFinishedSpans()
          .find(
            (span) => span.name === 'outbox write' && span.attributes['agent_relay.conversation.id'] === conversationId,
          );
        expect(found).toBeDefined();
        return found!;
      },
      { timeoutMs: 10_000 },
    );
    const operation = exporter.getFinishedSpans().find((span) => idOf(span) === parentOf(write));
    expect(operation).toMatchObject({
      name: 'mutation ChatCliSend',
      kind: SpanKind.SERVER,
      attributes: { 'agent_relay.transport': 'ws' },
    });
  });
});

describe('OpenTelemetry tracing off (no OTLP endpoint)', () => {
  const exporter = new InMemorySpanExporter();
  let testApp: TestApp;

  beforeAll(async () => {
    // Offered an exporter, an app with tracing off must still record nothing.
    testApp = await createTestApp({}, { spanExporter: exporter });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('records no span while a message and its reply go all the way to history', async () => {
    const conversationId = await sendMessage(
      testApp,
      `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
    );
    const token = await testApp.token();
    await eventually(
      async () => {
        const { body } = await testApp.graphql<{ conversation: { messageCount: number } }>(
          'query ($id: ID!) { conversation(id: $id) { messageCount } }',
          { id: conversationId },
          token,
        );
        expect(body.data?.conversation.messageCount).toBe(2);
      },
      { timeoutMs: 20_000 },
    );
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
