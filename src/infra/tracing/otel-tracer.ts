import {
  ROOT_CONTEXT,
  SpanKind as OtelSpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer as OtelTracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  NOOP_TRACER,
  type SpanAttributes,
  type SpanKind,
  type SpanOptions,
  type TraceSpan,
  type Tracer,
} from '../../domain/ports/tracer';

/** A span whose end the caller owns: it outlives one call (a GraphQL operation, one message of a batch). */
export interface OpenSpan extends TraceSpan {
  updateName(name: string): void;
  /** Marks the span failed (the error's message, never its payload); it still needs end(). */
  fail(error: unknown): void;
  end(): void;
}

/** The tracer infra adapters use: the port, plus spans ended by hand and run-in-span. */
export interface AppTracer extends Tracer {
  startSpan(name: string, options?: SpanOptions): OpenSpan;
  /** Runs `work` with `span` current, so spans started inside it are its children. */
  withSpan<T>(span: OpenSpan, work: () => T): T;
}

const KINDS: Record<SpanKind, OtelSpanKind> = {
  internal: OtelSpanKind.INTERNAL,
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
  producer: OtelSpanKind.PRODUCER,
  consumer: OtelSpanKind.CONSUMER,
};

const propagator = new W3CTraceContextPropagator();
const getter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

/** The remote context a traceparent names, or undefined for a missing or malformed one. */
const remoteContext = (traceparent: string | null | undefined): Context | undefined => {
  if (!traceparent) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
  return trace.getSpanContext(context) ? context : undefined;
};

const spanContextOf = (traceparent: string | null | undefined): SpanContext | undefined => {
  const context = remoteContext(traceparent);
  return context && trace.getSpanContext(context);
};

const traceparentOf = (span: Span): string | undefined => {
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
  return carrier['traceparent'];
};

/** One link per distinct context: a batch's messages often share their writer's span. */
const linksOf = (traceparents: SpanOptions['links']): Link[] => {
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const traceparent of traceparents ?? []) {
    const context = spanContextOf(traceparent);
    if (!context || seen.has(context.spanId)) continue;
    seen.add(context.spanId);
    links.push({ context });
  }
  return links;
};

const defined = (attributes: SpanAttributes | undefined) =>
  Object.fromEntries(
    Object.entries(attributes ?? {}).filter(
      (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
    ),
  );

const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

const openSpan = (span: Span): OpenSpan => ({
  traceparent: traceparentOf(span),
  setAttributes: (attributes) => void span.setAttributes(defined(attributes)),
  updateName: (name) => void span.updateName(name),
  fail(error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: describe(error) });
    if (error instanceof Error) span.recordException({ name: error.name, message: error.message });
  },
  end: () => span.end(),
});

/**
 * The port over an OpenTelemetry tracer. The current span lives in this tracer's own
 * AsyncLocalStorage rather than in OTel's global context manager, so nothing process-wide is
 * registered and two apps in one process (tests, benchmarks) keep their traces apart.
 */
export const createOtelTracer = (tracer: OtelTracer): AppTracer => {
  const current = new AsyncLocalStorage<Context>();
  const spans = new WeakMap<OpenSpan, Span>();

  const startSpan: AppTracer['startSpan'] = (name, options = {}) => {
    const parent = options.root ? ROOT_CONTEXT : (remoteContext(options.parent) ?? current.getStore() ?? ROOT_CONTEXT);
    const span = tracer.startSpan(
      name,
      {
        kind: KINDS[options.kind ?? 'internal'],
        attributes: defined(options.attributes),
        links: linksOf(options.links),
      },
      parent,
    );
    const open = openSpan(span);
    spans.set(open, span);
    return open;
  };

  const withSpan: AppTracer['withSpan'] = (open, work) => {
    const span = spans.get(open);
    return span ? current.run(trace.setSpan(current.getStore() ?? ROOT_CONTEXT, span), work) : work();
  };

  return {
    enabled: true,
    startSpan,
    withSpan,
    async inSpan(name, options, work) {
      const span = startSpan(name, options);
      try {
        return await withSpan(span, () => work(span));
      } catch (error) {
        span.fail(error);
        throw error;
      } finally {
        span.end();
      }
    },
  };
};

const NOOP_OPEN_SPAN: OpenSpan = {
  traceparent: undefined,
  setAttributes: () => undefined,
  updateName: () => undefined,
  fail: () => undefined,
  end: () => undefined,
};

/** Tracing off: every span is the same inert object and nothing is recorded. */
export const NOOP_APP_TRACER: AppTracer = {
  ...NOOP_TRACER,
  startSpan: () => NOOP_OPEN_SPAN,
  withSpan: (_span, work) => work(),
};
