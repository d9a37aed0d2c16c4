import type { AppendChatMessages, NewChatMessage } from '../../src/application/append-chat-messages.use-case';
import type { AppConfig } from '../../src/config';
import { createDatabase, createLogger } from '../../src/tooling';
import { createOutboxWriter } from '../../src/wiring/writer.wiring';
import type { Scope } from './scope';
import { outboxCounts, type SqlRunner } from './sql';
import { sleep } from './stats';

const FILLER = 'The quick brown fox jumps over the lazy dog while the relay keeps every message in order. ';

/** A chat message of realistic size (~250 bytes), alternating user and assistant. */
export const benchMessage = (index: number): NewChatMessage =>
  index % 2 === 0
    ? { role: 'user', content: `bench message ${index}: ${FILLER.repeat(2)}` }
    : {
        role: 'assistant',
        content: `bench reply ${index}: ${FILLER.repeat(2)}`,
        model: 'bench-model',
        promptTokens: 120,
        completionTokens: 48,
      };

/**
 * The real outbox writer (createOutboxWriter: the MikroORM unit of work, as the app wires it) on its own
 * database handle, with a no-op waker: for writing rows while no relay runs.
 */
export const openWriter = async (scope: Scope, config: AppConfig): Promise<AppendChatMessages> => {
  const logger = createLogger({ level: 'warn' }, { bench: 'writer' });
  const database = createDatabase(config.db, logger);
  await database.start();
  scope.defer('stop writer database', () => database.stop());
  return createOutboxWriter(config, { database, waker: { wake: async () => undefined }, logger });
};

/** Runs `count` tasks with at most `concurrency` in flight. */
export const pool = async (count: number, concurrency: number, task: (index: number) => Promise<void>) => {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) await task(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
};

export interface WatchResult {
  done: boolean;
  elapsedMs: number;
  counts: Record<string, number>;
}

/**
 * Polls the outbox until `target` rows are CONSUMED (or the timeout passes). `onCounts` sees
 * every poll, for progress lines.
 */
export const watchConsumed = async (
  sql: SqlRunner,
  target: number,
  options: { timeoutMs: number; intervalMs?: number; onCounts?: (counts: Record<string, number>) => void },
): Promise<WatchResult> => {
  const started = performance.now();
  for (;;) {
    const counts = await outboxCounts(sql);
    options.onCounts?.(counts);
    const elapsedMs = performance.now() - started;
    if ((counts['CONSUMED'] ?? 0) >= target) return { done: true, elapsedMs, counts };
    if (elapsedMs >= options.timeoutMs) return { done: false, elapsedMs, counts };
    await sleep(options.intervalMs ?? 200);
  }
};

export const describeCounts = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([status, n]) => `${status} ${n.toLocaleString('en-US')}`)
    .join(', ') || 'no rows';
