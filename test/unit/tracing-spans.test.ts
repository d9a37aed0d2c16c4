import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { loadConfig } from '../../src/config';
import { createTracing } from '../../src/infra/tracing/create-tracing';
import { endOperationSpan, startOperationSpan, trackOperationSpan } from '../../src/server/graphql-spans';
import { traceHistoryBatch } from '../../src/infra/tracing/history-spans';
import { tracePublisher } from '../../src/infra/tracing/outbox-spans';
import { anOutboxMessage } from '../support/builders';
import { createRecordingLogger } from '../support/fakes/recording-logger';
import { createRecordingPublisher } from '../support/fakes/recording-publisher';

const WRITER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
if (!config.ok) throw new Error(config.errors.join());
const exporter = new InMemorySpanExporter();
const tracing = createTracing(config.config.tracing, { logger: createRecordingLogger(), exporter });
const { tracer } = tracing;
const named = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

afterEach(() => exporter.reset());
afterAll(() => tracing.stop());

describe('the Kafka produce spans', () => {
  it("gives each row a publish span under its writer's, sends that span's traceparent, and fails the spans of rows the broker refused", async () => {
    const publisher = createRecordingPublisher();
    const sent = anOutboxMessage({ headers: { traceparent: WRITER } });
    const refused = anOutboxMessage({ headers: { traceparent: WRITER } });
    publisher.fail(refused.eventId, { error: 'MESSAGE_TOO_LARGE', permanent: true });
    await tracePublisher(tracer, publisher).publish([sent, refused]);

    const [batch] = exporter.getFinishedSpans().filter((span) => span.name.startsWith('send '));
    const publishes = exporter.getFinishedSpans().filter((span) => span.name.startsWith('publish '));
    expect(publishes.map((span) => span.parentSpanContext?.spanId)).toEqual(['00f067aa0ba902b7', '00f067aa0ba902b7']);
    expect(publishes.every((span) => span.links.some((link) => link.context.spanId === idOf(batch!)))).toBe(true);
    const statusOf = (eventId: string) =>
      publishes.find((span) => span.attributes['messaging.message.id'] === eventId)?.status;
    expect(statusOf(sent.eventId)?.code).toBe(SpanStatusCode.UNSET);
    expect(statusOf(refused.eventId)).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: 'Error: MESSAGE_TOO_LARGE',
    });
    // The record carries the publish span, the row (the store's copy) still its writer's.
    const header = publisher.calls[0]?.[0]?.headers['traceparent'];
    expect(header).toBe(
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${idOf(publishes.find((span) => span.attributes['messaging.message.id'] === sent.eventId)!)}-01`,
    );
    expect(sent.headers['traceparent']).toBe(WRITER);
  });

  it("fails every row's span when the broker is unavailable", async () => {
    const publisher = createRecordingPublisher();
    publisher.brokerDown();
    await tracePublisher(tracer, publisher).publish([anOutboxMessage({ headers: { traceparent: WRITER } })]);
    expect(exporter.getFinishedSpans().find((span) => span.name.startsWith('publish '))?.status.code).toBe(
      SpanStatusCode.ERROR,
    );
  });
});

describe('the consumer spans', () => {
  const batch = {
    topic: 't',
    partition: 0,
    groupId: 'g',
    messages: [{ offset: '7', traceparent: WRITER, eventId: 'e-1' }],
  };

  it("persists each message under the span its header names, linked to the batch's span", async () => {
    await traceHistoryBatch(tracer, batch, async () => 'committed' as const);
    const [persist] = named('history persist');
    const [process] = named('process t');
    expect(persist?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(persist?.links.map((link) => link.context.spanId)).toEqual([idOf(process!)]);
    expect(process?.parentSpanContext).toBeUndefined();
    expect(persist?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('fails the message spans of a batch given up (it is delivered again)', async () => {
    await traceHistoryBatch(tracer, batch, async () => 'abandoned' as const);
    expect(named('history persist')[0]?.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: 'Error: batch abandoned: it is delivered again',
    });
  });
});

describe('the GraphQL operation span', () => {
  const operationOf = (source: string) =>
    parse(source).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

  it('is named after the operation and lists the error codes clients got; only INTERNAL_SERVER_ERROR fails it', () => {
    const context = {};
    trackOperationSpan(context, startOperationSpan(tracer, WRITER, 'http'));
    endOperationSpan(context, operationOf('mutation Send { a }'), [
      { message: 'slow down', extensions: { code: 'RATE_LIMITED' } },
    ]);
    const failing = {};
    trackOperationSpan(failing, startOperationSpan(tracer, undefined, 'ws'));
    endOperationSpan(failing, operationOf('{ a }'), [
      { message: 'boom', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);

    const [send, anonymous] = exporter.getFinishedSpans();
    expect(send).toMatchObject({
      name: 'mutation Send',
      attributes: { 'graphql.operation.name': 'Send', 'agent_relay.graphql.error_codes': 'RATE_LIMITED' },
      status: { code: SpanStatusCode.UNSET },
    });
    expect(send?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(anonymous).toMatchObject({
      name: 'query',
      attributes: { 'agent_relay.transport': 'ws' },
      status: { code: SpanStatusCode.ERROR },
    });
  });

  it('ends once, even when a copy of the context comes by again', () => {
    const context = {};
    trackOperationSpan(context, startOperationSpan(tracer, undefined, 'http'));
    const copy = Object.assign({}, context);
    endOperationSpan(context, undefined, undefined);
    endOperationSpan(copy, undefined, undefined);
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['graphql']);
  });
});
