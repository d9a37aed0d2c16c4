/** Values a span attribute may take; undefined ones are left out. */
export type SpanAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

export type SpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export interface SpanOptions {
  /**
   * W3C traceparent of the span's parent, where the context did not flow in process (an outbox
   * row, a Kafka header, a stored turn). Without one, the span continues the current span.
   */
  readonly parent?: string | null;
  /** Traceparents of work this span handles without descending from it (a batch's messages). */
  readonly links?: readonly (string | null | undefined)[];
  readonly kind?: SpanKind;
  readonly attributes?: SpanAttributes;
  /** Starts a trace of its own even inside another span (batch work that many messages share). */
  readonly root?: boolean;
}

export interface TraceSpan {
  /** This span's W3C traceparent, to store or send on; undefined when tracing is off. */
  readonly traceparent: string | undefined;
  setAttributes(attributes: SpanAttributes): void;
}

/**
 * Tracing as the inner layers see it (OpenTelemetry in infra).
 * Guarantee: `inSpan` runs `work` exactly once and returns or rethrows what it does; the span
 * is current inside it (spans started within are its children) and ends when `work` settles,
 * marked failed when it throws. The no-op tracer does nothing else, so tracing off costs one call.
 */
export interface Tracer {
  /** False for the no-op tracer: callers may skip building what only spans would use. */
  readonly enabled: boolean;
  inSpan<T>(name: string, options: SpanOptions, work: (span: TraceSpan) => Promise<T>): Promise<T>;
}

const NOOP_SPAN: TraceSpan = { traceparent: undefined, setAttributes: () => undefined };

/** Tracing off: no spans, no exporter. */
export const NOOP_TRACER: Tracer = {
  enabled: false,
  inSpan: (_name, _options, work) => work(NOOP_SPAN),
};
