/**
 * What tracing costs per call, in process: the no-op tracer (tracing off) and the OpenTelemetry
 * tracer (on, sampled) as the app runs it (batched, OTLP/HTTP to a local stand-in receiver that
 * answers 200), against the bare call.
 *   npx tsx bench/experiments/tracing-overhead.ts
 * The per-message path adds a handful of these calls: off it is the no-op's cost (or nothing,
 * where the decorators are not applied at all), on it is roughly one span per hop.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { NOOP_TRACER, type Tracer } from '../../src/domain/ports/tracer';
import { createTracing } from '../../src/tooling';

const N = 200_000;
const work = async () => 1;

const nsPerCall = async (label: string, call: () => Promise<unknown>) => {
  // Every 256 calls the loop yields to I/O, so the batch exporter keeps up (serialising and
  // sending what it holds) within the measured time instead of dropping a full queue.
  const run = async (count: number) => {
    for (let i = 1; i <= count; i += 1) {
      await call();
      if (i % 256 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await run(20_000); // warm-up
  const start = process.hrtime.bigint();
  await run(N);
  const ns = Number(process.hrtime.bigint() - start) / N;
  process.stdout.write(`${label.padEnd(44)} ${ns.toFixed(0).padStart(6)} ns/call\n`);
  return ns;
};

const main = async () => {
  let received = 0;
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received += (body.match(/"spanId"/g) ?? []).length;
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
  });
  if (!config.ok) throw new Error(config.errors.join());
  const warn = (...args: unknown[]) => process.stderr.write(`${JSON.stringify(args)}\n`);
  const tracing = createTracing(config.config.tracing, {
    logger: { debug: () => undefined, info: () => undefined, warn, error: warn, child: () => undefined as never },
  });
  const on: Tracer = tracing.tracer;
  const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const bare = await nsPerCall('bare await', work);
  const off = await nsPerCall('off: NOOP_TRACER.inSpan', () => NOOP_TRACER.inSpan('x', { parent }, work));
  const onNs = await nsPerCall('on: inSpan with remote parent (one span)', () =>
    on.inSpan('x', { parent, attributes: { a: 1 } }, work),
  );
  process.stdout.write(
    `off adds ${(off - bare).toFixed(0)} ns per traced call; on adds ${((onNs - bare) / 1000).toFixed(1)} µs per span\n`,
  );
  await tracing.stop();
  process.stdout.write(`spans received by the stand-in receiver: ${received} of ${N + 20_000}\n`);
  receiver.close();
};

void main();
