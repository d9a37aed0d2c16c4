import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig, redactConfig, type AppConfig } from '../../src/config';
import { NOOP_TRACER } from '../../src/domain/ports/tracer';
import { createTracing, loggingExporter } from '../../src/infra/tracing/create-tracing';
import { NOOP_APP_TRACER } from '../../src/infra/tracing/otel-tracer';
import { createRecordingLogger } from '../support/fakes/recording-logger';

const tracingConfig = (env: Record<string, string> = {}): AppConfig['tracing'] => {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config.tracing;
};

const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
const CLIENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('tracing configuration (standard OTel variables)', () => {
  it('is off without an OTLP endpoint', () => {
    expect(tracingConfig()).toMatchObject({ enabled: false, url: undefined });
  });

  it('sends to <endpoint>/v1/traces, or to the per-signal endpoint as given', () => {
    expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toMatchObject({
      enabled: true,
      url: 'http://jaeger:4318/v1/traces',
    });
    expect(tracingConfig({ ...ON, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://vendor.example/otlp/traces' }).url).toBe(
      'https://vendor.example/otlp/traces',
    );
  });

  it('stays off when OTEL_SDK_DISABLED is true, endpoint or not', () => {
    expect(tracingConfig({ ...ON, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });

  it('parses OTLP headers (URL-encoded values) and redacts their values for the log', () => {
    const result = loadConfig({ ...ON, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D, team=relay' });
    if (!result.ok) throw new Error(result.errors.join());
    expect(result.config.tracing.headers).toEqual({ 'x-api-key': 'abc==', team: 'relay' });
    expect(redactConfig(result.config).tracing.headers).toEqual({ 'x-api-key': '***', team: '***' });
  });

  it('reports every bad tracing variable by name', () => {
    const result = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'secret',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_TRACES_SAMPLER_ARG: '2',
    });
    expect(result.ok ? [] : result.errors.map((error) => error.split(':')[0])).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_TRACES_SAMPLER',
      'OTEL_TRACES_SAMPLER_ARG',
    ]);
  });
});

describe('createTracing', () => {
  it('off: answers the no-op tracer and hands nothing to an exporter', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing(tracingConfig(), { logger: createRecordingLogger(), exporter });
    expect(tracing.tracer).toBe(NOOP_APP_TRACER);
    const answer = await tracing.tracer.inSpan('work', { parent: CLIENT }, async (span) => span.traceparent);
    tracing.tracer.startSpan('open').end();
    await tracing.stop();
    expect(answer).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it("the domain's no-op tracer runs the work once and passes its result through", async () => {
    let runs = 0;
    await expect(NOOP_TRACER.inSpan('work', {}, async () => ++runs)).resolves.toBe(1);
  });

  describe('on', () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing(tracingConfig(ON), { logger: createRecordingLogger(), exporter });
    const { tracer } = tracing;
    afterEach(() => exporter.reset());
    afterAll(() => tracing.stop());

    it('continues a remote traceparent, and hands out its own span as the next traceparent', async () => {
      const traceparent = await tracer.inSpan(
        'write',
        { parent: CLIENT, kind: 'server' },
        async (span) => span.traceparent,
      );
      const [span] = exporter.getFinishedSpans();
      expect(span?.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
      expect(span?.kind).toBe(SpanKind.SERVER);
      expect(traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${idOf(span!)}-01`);
    });

    it('nests spans started inside another as its children, across awaits', async () => {
      await tracer.inSpan('outer', {}, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await tracer.inSpan('inner', {}, async () => undefined);
      });
      const [inner, outer] = exporter.getFinishedSpans();
      expect(inner?.parentSpanContext?.spanId).toBe(idOf(outer!));
    });

    it('starts a trace of its own for root spans, linked once per distinct context', async () => {
      await tracer.inSpan('outer', { parent: CLIENT }, () =>
        tracer.inSpan('batch', { root: true, links: [CLIENT, CLIENT, undefined, 'garbage'] }, async () => undefined),
      );
      const [batch] = exporter.getFinishedSpans();
      expect(batch?.parentSpanContext).toBeUndefined();
      expect(batch?.spanContext().traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(batch?.links.map((link) => link.context.spanId)).toEqual(['00f067aa0ba902b7']);
    });

    it('marks a span failed when its work throws, and rethrows', async () => {
      await expect(tracer.inSpan('boom', {}, async () => Promise.reject(new Error('database down')))).rejects.toThrow(
        'database down',
      );
      const [span] = exporter.getFinishedSpans();
      expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'Error: database down' });
    });

    it('ignores a malformed parent: the span continues the current one', async () => {
      await tracer.inSpan('outer', {}, () => tracer.inSpan('inner', { parent: '00-nothex-01' }, async () => undefined));
      const [inner, outer] = exporter.getFinishedSpans();
      expect(inner?.parentSpanContext?.spanId).toBe(idOf(outer!));
    });
  });
});

describe('export failures', () => {
  it('are logged once when they start and once when export recovers, not per batch', () => {
    const results = [1, 1, 0, 1] as const; // FAILED, FAILED, SUCCESS, FAILED (ExportResultCode)
    let call = 0;
    const inner = {
      export: (_spans: unknown[], done: (result: { code: number; error?: Error }) => void) =>
        done({ code: results[call++]!, error: new Error('503') }),
      shutdown: async () => undefined,
    };
    const logger = createRecordingLogger();
    const exporter = loggingExporter(inner as never, logger);
    const codes: number[] = [];
    for (let i = 0; i < results.length; i += 1) exporter.export([], (result) => codes.push(result.code));
    expect(codes).toEqual([1, 1, 0, 1]);
    expect(logger.entries.map((entry) => `${entry.level} ${entry.message}`)).toEqual([
      'warn trace export failing; spans are dropped until it recovers',
      'info trace export recovered',
      'warn trace export failing; spans are dropped until it recovers',
    ]);
  });
});
