import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { hostname } from 'node:os';
import type { AppConfig } from '../../config';
import type { Component } from '../lifecycle';
import type { Logger } from '../../domain/ports/logger';
import { createOtelTracer, NOOP_APP_TRACER, type AppTracer } from './otel-tracer';

export interface Tracing extends Component {
  readonly tracer: AppTracer;
}

const samplerOf = (config: AppConfig['tracing']): Sampler => {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
};

/**
 * Export failures are otherwise silent (OTel reports them to its diag logger, which nothing
 * reads): one warning when exporting starts failing, one line when it works again.
 */
export const loggingExporter = (exporter: SpanExporter, logger: Logger): SpanExporter => {
  let failing = false;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS && !failing)
          logger.warn(
            { err: result.error, spans: spans.length },
            'trace export failing; spans are dropped until it recovers',
          );
        else if (result.code === ExportResultCode.SUCCESS && failing) logger.info('trace export recovered');
        failing = result.code !== ExportResultCode.SUCCESS;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
};

const NOOP_TRACING: Tracing = {
  name: 'tracing',
  tracer: NOOP_APP_TRACER,
  start: async () => undefined,
  stop: async () => undefined,
  ready: async () => true,
};

/**
 * OpenTelemetry tracing when an OTLP endpoint is configured, else the no-op tracer: no
 * provider, no exporter, no timer. Spans leave in batches (OTel's BatchSpanProcessor) over
 * OTLP/HTTP with JSON bodies; stop() flushes what is queued, so it runs after everything else.
 * `exporter` replaces the OTLP exporter (tests), and then each span is handed over as it ends.
 */
export const createTracing = (
  config: AppConfig['tracing'],
  deps: { logger: Logger; exporter?: SpanExporter },
): Tracing => {
  const { url } = config;
  if (!config.enabled || !url) return NOOP_TRACING;
  const exporter = loggingExporter(
    deps.exporter ?? new OTLPTraceExporter({ url, headers: { ...config.headers } }),
    deps.logger,
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': config.serviceName,
      'service.instance.id': `${hostname()}:${process.pid}`,
    }),
    sampler: samplerOf(config),
    spanProcessors: [deps.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  return {
    name: 'tracing',
    tracer: createOtelTracer(provider.getTracer('agent-relay')),
    async start() {
      deps.logger.info(
        { endpoint: new URL(url).origin, sampler: config.sampler },
        'tracing on: spans exported over OTLP/HTTP',
      );
    },
    stop: () => provider.shutdown(),
    ready: async () => true,
  };
};
