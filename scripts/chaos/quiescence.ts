import type { Control } from './infra';
import { say, sleep } from './log';

export type StatusCounts = Record<string, number>;

export const outboxCounts = async (control: Control): Promise<StatusCounts> => {
  const rows = await control.query<{ status: string; n: number }>(
    `SELECT status, COUNT(*) AS n FROM ${control.t('outbox_messages')} GROUP BY status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
};

export const historyCount = async (control: Control) =>
  Number((await control.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${control.t('chat_messages')}`))[0]?.n ?? 0);

const FINAL = new Set(['CONSUMED', 'DEAD']);

/**
 * Waits until every outbox row is CONSUMED or DEAD and nothing (statuses, row counts, history)
 * has changed for `stableMs`, or `maxMs` passed. Resolves to whether it settled, and how long it took.
 */
export const waitForQuiescence = async (
  control: Control,
  options: { maxMs: number; stableMs: number; signal: AbortSignal },
) => {
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
    if (settled && Date.now() - stableSince >= options.stableMs)
      return { settled: true, ms: Date.now() - started, counts };
    if (Date.now() - started >= options.maxMs) return { settled: false, ms: Date.now() - started, counts };
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`waiting for the pipeline to settle: outbox ${JSON.stringify(counts)}`);
    }
    await sleep(250);
  }
  throw new Error('interrupted');
};

/**
 * Waits until every acknowledged send's reply (known content, in its conversation) is in
 * history, or `maxMs` passed. A reply whose job was lost with Redis is generated again only
 * once the service's recovery sweep finds its turn still awaited (GENERATE_RECOVER_AFTER_MS,
 * 30 s by default), so the pipeline can look settled while such a reply is still to come.
 */
export const waitForReplies = async (
  control: Control,
  expected: readonly { conversationId: string; hash: string }[],
  options: { maxMs: number; signal: AbortSignal },
) => {
  const started = Date.now();
  const conversations = [...new Set(expected.map((e) => e.conversationId))];
  let lastReport = Date.now();
  while (!options.signal.aborted) {
    const rows = conversations.length
      ? await control.query<{ c: string; h: string }>(
          `SELECT conversation_id AS c, SHA2(content, 256) AS h FROM ${control.t('chat_messages')} WHERE role = 'assistant' AND conversation_id IN (${conversations.map(() => '?').join(', ')})`,
          conversations,
        )
      : [];
    const stored = new Set(rows.map((r) => `${r.c}#${r.h}`));
    const missing = expected.filter((e) => !stored.has(`${e.conversationId}#${e.hash}`)).length;
    if (missing === 0 || Date.now() - started >= options.maxMs) return { missing, ms: Date.now() - started };
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      say(`waiting for ${missing} acknowledged send(s) to get their reply…`);
    }
    await sleep(1000);
  }
  throw new Error('interrupted');
};
