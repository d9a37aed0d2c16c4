/**
 * What tracing costs per call, in process: the no-op tracer (tracing off) and the OpenTelemetry
 * tracer (on, sampled, spans batched to an exporter that drops them), against the bare call.
 *   npx tsx bench/experiments/tracing-overhead.ts
 * The per-message path adds a handful of these calls: off it is the no-op's cost (or nothing,
 * where the decorators are not applied at all), on it is roughly one span per hop.
 */
import type { ExportResult } from '@opentelemetry/core';
import { loadConfig } from '../../src/config';
import { NOOP_TRACER, type Tracer } from '../../src/domain/ports/tracer';
import { createTracing } from '../../src/infra/tracing/create-tracing';

const N = 200_000;
const work = async () => 1;
const dropping = { export: (_spans: unknown[], done: (result: ExportResult) => void) => done({ code: 0 }), shutdown: async () => undefined };

const nsPerCall = async (label: string, call: () => Promise<unknown>) => {
  for (let i = 0; i < 20_000; i += 1) await call(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i += 1) await call();
  const ns = Number(process.hrtime.bigint() - start) / N;
  process.stdout.write(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call\n`);
  return ns;
};

const main = async () => {
  const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
  if (!config.ok) throw new Error(config.errors.join());
  const tracing = createTracing(config.config.tracing, { logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => undefined as never }, exporter: dropping as never });
  const on: Tracer = tracing.tracer;
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const bare = await nsPerCall('bare await', work);
  const off = await nsPerCall('off: NOOP_TRACER.inSpan', () => NOOP_TRACER.inSpan('x', { parent }, work));
  const onNs = await nsPerCall('on: inSpan with remote parent (one span)', () => on.inSpan('x', { parent, attributes: { a: 1 } }, work));
  process.stdout.write(`off adds ${(off - bare).toFixed(0)} ns per traced call; on adds ${((onNs - bare) / 1000).toFixed(1)} µs per span\n`);
  await tracing.stop();
};

void main();
