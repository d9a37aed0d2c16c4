import { stampSql } from '../../src/tooling';
import type { Control } from './infra';
import type { Ledger } from './ledger';
import type { OrderReport } from './readback';

interface HistoryRow {
  c: string;
  seq: number;
  role: string;
  e: string;
  h: string;
  /** 1 for a reply stored partial (its generation failed). */
  p: number;
}

interface OutboxRow {
  id: number;
  aggregate_id: string;
  aggregate_seq: number;
  status: string;
  attempts: number;
  last_error: string | null;
}

export interface Evidence {
  readonly history: HistoryRow[];
  /** Outbox rows not CONSUMED after the pipeline settled. */
  readonly notConsumed: OutboxRow[];
  readonly consumedWithoutHistory: { aggregate_id: string; aggregate_seq: number }[];
  readonly conversations: { id: string; last_seq: number; message_count: number }[];
}

export const loadEvidence = async (control: Control): Promise<Evidence> => {
  const { t } = control;
  return {
    history: await control.query<HistoryRow>(
      `SELECT conversation_id AS c, seq, role, event_id AS e, SHA2(content, 256) AS h, partial AS p FROM ${t('chat_messages')}`,
    ),
    notConsumed: await control.query<OutboxRow>(
      `SELECT id, aggregate_id, aggregate_seq, status, attempts, last_error FROM ${t('outbox_messages')} WHERE status <> 'CONSUMED' ORDER BY id`,
    ),
    consumedWithoutHistory: await control.query(
      `SELECT o.aggregate_id, o.aggregate_seq FROM ${t('outbox_messages')} o LEFT JOIN ${t('chat_messages')} m ON m.event_id = o.event_id WHERE o.status = 'CONSUMED' AND m.event_id IS NULL`,
    ),
    conversations: await control.query(`SELECT id, last_seq, message_count FROM ${t('conversations')}`),
  };
};

/** Each list holds one line per problem; the run passes only when every list is empty. */
export interface Verdict {
  readonly lost: string[];
  readonly duplicated: string[];
  readonly inversions: string[];
  readonly unexplainedRows: string[];
  /** Listed for the record; their messages also count as lost. */
  readonly deadRows: string[];
  /** History rows nobody wrote, conversation counters that drifted, conflicting Kafka events. */
  readonly anomalies: string[];
  readonly stats: {
    historyRows: number;
    confirmed: number;
    replies: number;
    unsure: number;
    unsureCommitted: number;
    redeliveries: number;
  };
}

const key = (conversationId: string, seq: number) => `${conversationId}#${seq}`;

const addTo = <V>(map: Map<string, V[]>, k: string, value: V) => {
  const list = map.get(k);
  if (list) list.push(value);
  else map.set(k, [value]);
};

/** Compares the ledger with history, the outbox and the Kafka read-back. */
export const judge = (ledger: Ledger, evidence: Evidence, order: OrderReport): Verdict => {
  const lost = new Map<string, string>();
  const duplicated: string[] = [];
  const inversions = [
    ...order.inversions,
    ...order.splitConversations.map((c) => `${c}: events on more than one partition`),
  ];
  const anomalies = [...order.conflicts.map((c) => `conflicting events in Kafka: ${c}`)];

  const bySlot = new Map<string, HistoryRow[]>();
  const byHash = new Map<string, HistoryRow[]>();
  const byEvent = new Map<string, number>();
  const rowsOf = new Map<string, HistoryRow[]>();
  for (const row of evidence.history) {
    addTo(rowsOf, row.c, row);
    addTo(bySlot, key(row.c, row.seq), row);
    addTo(byHash, row.h, row);
    byEvent.set(row.e, (byEvent.get(row.e) ?? 0) + 1);
  }
  for (const [slot, rows] of bySlot) if (rows.length > 1) duplicated.push(`${rows.length} history rows at ${slot}`);
  for (const [eventId, n] of byEvent) if (n > 1) duplicated.push(`${n} history rows for event ${eventId}`);

  const stuck = new Map(evidence.notConsumed.map((r) => [key(r.aggregate_id, r.aggregate_seq), r]));
  const dead = [...stuck.values()].filter((r) => r.status === 'DEAD');
  const why = (row: OutboxRow) =>
    row.status === 'DEAD'
      ? `DEAD: ${row.last_error ?? 'no error recorded'}`
      : row.status === 'PUBLISHED'
        ? 'PUBLISHED, never consumed'
        : `${row.status}, never published`;
  /** Missing from history; the outbox row's state says where it stopped. */
  const lose = (slot: string, reason: string) => {
    const row = stuck.get(slot);
    if (!lost.has(slot)) lost.set(slot, row ? `${reason} (outbox row ${row.id} ${why(row)})` : reason);
  };

  // Confirmed writes: exactly here, with this content, once.
  for (const entry of ledger.exact) {
    const slot = key(entry.conversationId, entry.seq);
    const rows = bySlot.get(slot) ?? [];
    if (rows.length === 0) lose(slot, `${entry.source} message missing from history`);
    else if (!rows.some((r) => r.h === entry.hash)) lose(slot, `${entry.source} message at ${slot} has other content`);
    const copies = byHash.get(entry.hash)?.length ?? 0;
    if (copies > 1) duplicated.push(`${entry.source} message ${slot} stored ${copies} times`);
  }
  // Replies: known content, once, after the message they answer.
  for (const reply of ledger.replies) {
    const rows = (byHash.get(reply.hash) ?? []).filter((r) => r.c === reply.conversationId);
    if (rows.length === 0)
      lose(
        `${reply.conversationId}#reply-after-${reply.afterSeq}`,
        `assistant reply to seq ${reply.afterSeq} missing from history`,
      );
    if (rows.length > 1)
      duplicated.push(`assistant reply to ${key(reply.conversationId, reply.afterSeq)} stored ${rows.length} times`);
    for (const row of rows)
      if (row.seq <= reply.afterSeq)
        inversions.push(
          `${reply.conversationId}: reply at seq ${row.seq} is not after its message at seq ${reply.afterSeq}`,
        );
  }
  // Writes whose outcome we never saw: all of a transaction or none of it.
  let unsureCommitted = 0;
  for (const write of ledger.uncertain) {
    const present = write.hashes.filter((h) => (byHash.get(h)?.length ?? 0) > 0).length;
    if (present > 0) unsureCommitted += 1;
    if (present > 0 && present < write.hashes.length)
      lose(
        `${write.conversationId ?? '?'}#unsure`,
        `only ${present} of ${write.hashes.length} messages of one transaction in history (${write.error})`,
      );
    for (const h of [...write.hashes, ...write.optional]) {
      const copies = byHash.get(h)?.length ?? 0;
      if (copies > 1)
        duplicated.push(
          `message of an unsure write stored ${copies} times (${write.conversationId ?? 'new conversation'})`,
        );
    }
  }
  // Sequence numbers handed out in committed transactions: 1..last_seq, no gaps.
  for (const conversation of evidence.conversations) {
    let inHistory = 0;
    for (let seq = 1; seq <= conversation.last_seq; seq += 1) {
      if (bySlot.has(key(conversation.id, seq))) inHistory += 1;
      else lose(key(conversation.id, seq), 'gap: committed seq missing from history');
    }
    const beyond = (rowsOf.get(conversation.id) ?? []).filter((r) => r.seq > conversation.last_seq).length;
    if (beyond > 0)
      anomalies.push(`${conversation.id}: ${beyond} history row(s) beyond last_seq ${conversation.last_seq}`);
    if (conversation.message_count !== inHistory + beyond)
      anomalies.push(
        `${conversation.id}: message_count ${conversation.message_count}, history has ${inHistory + beyond}`,
      );
  }
  for (const row of evidence.consumedWithoutHistory)
    lose(key(row.aggregate_id, row.aggregate_seq), 'outbox row CONSUMED but no history row has its event id');

  const expected = new Set([
    ...ledger.exact.map((e) => e.hash),
    ...ledger.replies.map((r) => r.hash),
    ...ledger.uncertain.flatMap((u) => [...u.hashes, ...u.optional]),
  ]);
  for (const row of evidence.history)
    if (!expected.has(row.h))
      anomalies.push(`history row ${key(row.c, row.seq)} (${row.role}) matches nothing the run wrote`);

  return {
    lost: [...lost.entries()].map(([slot, reason]) => `${slot}: ${reason}`),
    duplicated,
    inversions,
    unexplainedRows: evidence.notConsumed
      .filter((r) => r.status !== 'DEAD')
      .map(
        (r) =>
          `outbox ${r.id} (${key(r.aggregate_id, r.aggregate_seq)}) ${r.status} after ${r.attempts} attempt(s): ${r.last_error ?? 'no error recorded'}`,
      ),
    deadRows: dead.map(
      (r) =>
        `outbox ${r.id} (${key(r.aggregate_id, r.aggregate_seq)}) DEAD after ${r.attempts} attempt(s): ${r.last_error ?? 'no error recorded'}`,
    ),
    anomalies,
    stats: {
      historyRows: evidence.history.length,
      confirmed: ledger.exact.length,
      replies: ledger.replies.length,
      unsure: ledger.uncertain.length,
      unsureCommitted,
      redeliveries: order.redeliveries,
    },
  };
};

/** consumed_at, NULL when the row was never consumed (the column holds the epoch then, not NULL). */
const CONSUMED_AT = stampSql('consumed_at');

/** Per fault: first CONSUMED row created at or after it struck, as ms after it struck (null: none). */
export const recoveryMs = async (control: Control, at: number) => {
  const [row] = await control.query<{ first: Date | null }>(
    `SELECT MIN(${CONSUMED_AT}) AS first FROM ${control.t('outbox_messages')} WHERE created_at >= ?`,
    [new Date(at)],
  );
  return row?.first ? row.first.getTime() - at : null;
};

/** When the last of `ids` reached CONSUMED, as ms after `at` (null: not all of them did). */
export const consumedAfterMs = async (control: Control, ids: readonly number[], at: number) => {
  if (ids.length === 0) return null;
  const [row] = await control.query<{ last: Date | null; n: number }>(
    `SELECT MAX(${CONSUMED_AT}) AS last, COUNT(${CONSUMED_AT}) AS n FROM ${control.t('outbox_messages')} WHERE id IN (${ids.map(() => '?').join(', ')})`,
    [...ids],
  );
  return row?.last && Number(row.n) === ids.length ? row.last.getTime() - at : null;
};

/** End-to-end latency (outbox insert → CONSUMED) percentiles over the whole run, in ms. */
export const latencyPercentiles = async (control: Control) => {
  const rows = await control.query<{ ms: number }>(
    `SELECT TIMESTAMPDIFF(MICROSECOND, created_at, consumed_at) / 1000 AS ms FROM ${control.t('outbox_messages')} WHERE ${CONSUMED_AT} IS NOT NULL ORDER BY ms`,
  );
  const at = (p: number) => Math.round(Number(rows[Math.min(rows.length - 1, Math.floor(p * rows.length))]?.ms ?? 0));
  return { p50: at(0.5), p99: at(0.99), max: at(1) };
};

/**
 * For an outage that ended at `returnedAt`: how long after it every row created before it was
 * CONSUMED (0 when they all were already), or null when some never were. DEAD rows are left
 * out: the verdict lists them on their own, and one outage's DEAD rows must not hide whether
 * a later outage recovered.
 */
export const historyCompleteAfterMs = async (control: Control, returnedAt: number) => {
  const [row] = await control.query<{ total: number; consumed: number; last: Date | null }>(
    `SELECT COUNT(*) AS total, COUNT(${CONSUMED_AT}) AS consumed, MAX(${CONSUMED_AT}) AS last FROM ${control.t('outbox_messages')} WHERE created_at < ? AND status <> 'DEAD'`,
    [new Date(returnedAt)],
  );
  if (!row || Number(row.total) !== Number(row.consumed)) return null;
  return row.last ? Math.max(0, row.last.getTime() - returnedAt) : 0;
};
