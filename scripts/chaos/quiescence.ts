import type { Control } from './infra';
import { say, sleep } from './log';

export type StatusCounts = Record<string, number>;

export const outboxCounts = async (control: Control): Promise<StatusCounts> => {
  const rows = await control.query<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM ${control.t('outbox_messages')} GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
};

export const historyCount = async (control: Control) =>
  Number((await control.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${control.t('chat_messages')}`))[0]?.n ?? 0);

const FINAL = new Set(['CONSUMED', 'DEAD']);

/**
 * Waits until every outbox row is CONSUMED or DEAD and nothing (statuses, row counts, history)
 * has changed for `stableMs`, or `maxMs` passed. Resolves to whether it settled, and how long it took.
 */
export const waitForQuiescence = async (control: Control, options: { maxMs: number; stableMs: number; signal: AbortSignal }) => {
  const started = Date.now();
  let last = '';
  let stableSince = Date.now();
  let lastReport = Date.now();
  while (!options.signal.aborted) {
    const counts = await outboxCounts(control);
    const snapshot = JSON.stringify({ counts, history: await historyCount(control) });
    if (snapshot !== last) {
      last = snapshot;
      stableSince = Date.now();
    }
    const settled = Object.keys(counts).every((status) => FINAL.has(status));
    if (settled && Date.now() - stableSince >= options.stableMs) return { settled: true, ms: Date.now() - started, counts };
    if (Date.now() - started >= options.maxMs) return { settled: false, ms: Date.now() - started, counts };
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`waiting for the pipeline to settle: outbox ${JSON.stringify(counts)}`);
    }
    await sleep(250);
  }
  throw new Error('interrupted');
};
