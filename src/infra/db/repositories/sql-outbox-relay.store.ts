import { randomUUID } from 'node:crypto';
import { inConversationOrder } from '../../../domain/conversation-order';
import { boundError, type OutboxMessage } from '../../../domain/outbox-message';
import type { LogPosition } from '../../../domain/ports/event-publisher';
import type { Claim, OutboxRelayStore, RowFailure } from '../../../domain/ports/outbox-relay-store';
import type { Database } from '../create-database';
import type { BatchTransaction, Statement } from '../sql-batches';
import { affectedRows, inBatchTransaction, placeholders, runBatchStatement } from '../transaction';
import {
  CLAIMED_SQL,
  NO_POSITION,
  NO_TIME_SQL,
  OUTBOX_COLUMNS,
  toOutboxMessage,
  type OutboxRow,
} from '../tables/outbox-messages.table';
import { caseById, CLEAR_CLAIM, guard } from './sql-guards';

/**
 * Candidates in id order. The index (status, id) serves both the filter's leading column and
 * the ORDER BY, so InnoDB walks it in claim order and SKIP LOCKED passes over rows another
 * claimer holds; with a filesort it would lock every match first and a second claimer would
 * get nothing. Under READ COMMITTED rows examined but not due are unlocked at once.
 *
 * The correlated subquery in WHERE keeps rows stuck behind their conversation's first PENDING
 * row (one that is backing off or leased) out of the LIMIT, so a conversation in backoff cannot
 * fill every batch with rows that would only be dropped. The CASE in the select list links each
 * candidate to the PENDING row just ahead of it in its conversation (the highest PENDING seq
 * below its own), which makes the exact check (domain/conversation-order.ts) possible without
 * another statement. It is the plain MAX in the ELSE branch, asked in the order that makes the
 * common cases one index entry each: none when the candidate is its conversation's first
 * PENDING row, seq − 1 when that row is PENDING. The MAX alone could not seek to its bound (the
 * bound is the outer row's seq), so it read every PENDING row of the conversation for each
 * candidate: 25 of the 27 ms of a 500-row claim on a 50,000-row backlog (ANALYZE,
 * bench/experiments/claim-select-cost.ts). MariaDB caches the per-conversation subqueries
 * across the candidates of one conversation. All of them are plain reads: a locking clause on
 * the outer SELECT does not lock or skip the rows a nested subquery reads (MySQL documents it;
 * MariaDB 10.11 does the same, test/integration/outbox-relay.store.test.ts), so a row another
 * claimer has locked still counts as PENDING ahead of ours.
 */
export const CANDIDATES_SQL = `
  SELECT ${OUTBOX_COLUMNS},
    CASE
      WHEN o.aggregate_seq = (SELECT h.aggregate_seq FROM outbox_messages h FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE h.aggregate_id = o.aggregate_id AND h.status = 'PENDING' ORDER BY h.aggregate_seq LIMIT 1) THEN NULL
      WHEN EXISTS (SELECT 1 FROM outbox_messages q FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE q.aggregate_id = o.aggregate_id AND q.status = 'PENDING' AND q.aggregate_seq = CAST(o.aggregate_seq AS SIGNED) - 1)
        THEN CAST(o.aggregate_seq AS SIGNED) - 1
      ELSE (SELECT MAX(p.aggregate_seq) FROM outbox_messages p FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE p.aggregate_id = o.aggregate_id AND p.status = 'PENDING' AND p.aggregate_seq < o.aggregate_seq)
    END AS prev_pending_seq
  FROM outbox_messages o FORCE INDEX (outbox_claim_idx)
  WHERE o.status = 'PENDING' AND o.next_attempt_at <= ? AND o.claim_expires_at <= ?
    AND (SELECT f.next_attempt_at <= ? AND f.claim_expires_at <= ?
         FROM outbox_messages f FORCE INDEX (outbox_aggregate_status_seq_idx)
         WHERE f.aggregate_id = o.aggregate_id AND f.status = 'PENDING' ORDER BY f.aggregate_seq LIMIT 1)
  ORDER BY o.id LIMIT ? FOR UPDATE SKIP LOCKED`;

/** The claim's filter without the order guard: an idle outbox answers from the index's first entry. */
const HAS_DUE_SQL = `SELECT 1 FROM outbox_messages FORCE INDEX (outbox_claim_idx)
  WHERE status = 'PENDING' AND next_attempt_at <= ? AND claim_expires_at <= ? LIMIT 1`;

export const candidateParams = (now: Date, limit: number) => [now, now, now, now, limit];

const stampStatement = (
  ids: readonly string[],
  stamp: { owner: string; token: string; expiresAt: Date },
): Statement => ({
  sql: `UPDATE outbox_messages SET claim_owner = ?, claim_token = ?, claim_expires_at = ? WHERE id IN (${placeholders(ids)}) AND status = 'PENDING'`,
  params: [stamp.owner, stamp.token, stamp.expiresAt, ...ids],
});

/**
 * The claimable rows that would overtake a PENDING row of their conversation left out of the
 * claim, asked by a statement of its own in the claim's second packet. Why the links are not
 * enough: the first statement's subqueries read the snapshot taken when it began, while its
 * locking walk reads rows as they are when it reaches them. Writers can commit a conversation's
 * next rows while the walk runs: SKIP LOCKED passes over one whose insert is not committed yet,
 * and a row after it (committed later, so the walk finds it) links past it to an older PENDING
 * row of the snapshot, which the claim takes. The two would go out ahead of the skipped row
 * (test/integration/outbox-relay.store.test.ts reproduces it). A statement that starts after the
 * first has returned sees every row below one that the first found, since a conversation's
 * writers commit in seq order (they queue on its row lock). Only a link that skips seqs can be
 * stale: a link to seq - 1 names the row just ahead, and a row with no link was its
 * conversation's first PENDING row in the snapshot, so every row below it was committed before
 * the snapshot. The usual claim has no such link and sends no extra statement.
 */
const overtakingStatement = (
  linked: readonly { id: string; aggregateSeq: number; prevPendingSeq: number | null }[],
  claimedIds: readonly string[],
): Statement | undefined => {
  const gapped = linked.filter((m) => m.prevPendingSeq !== null && m.prevPendingSeq < m.aggregateSeq - 1);
  if (gapped.length === 0) return undefined;
  return {
    sql: `SELECT c.id FROM outbox_messages c WHERE c.id IN (${placeholders(gapped)}) AND EXISTS (
      SELECT 1 FROM outbox_messages p FORCE INDEX (outbox_aggregate_status_seq_idx)
      WHERE p.aggregate_id = c.aggregate_id AND p.status = 'PENDING' AND p.aggregate_seq < c.aggregate_seq
        AND p.id NOT IN (${placeholders(claimedIds)}))`,
    params: [...gapped.map((m) => m.id), ...claimedIds],
  };
};

/** A claim, and the rows it stamped but must not publish (overtakingStatement): the caller releases them. */
interface ClaimOutcome {
  readonly claim: Claim;
  readonly overtaking: readonly string[];
}

/**
 * Two packets: BEGIN with the candidates and their links, then the overtaking check and the stamp
 * with COMMIT (a claim that keeps nothing commits alone). Rows the links hold back stay unstamped
 * and are unlocked by the commit; rows the check holds back are stamped with the rest (the check's
 * answer comes with the stamp's) and returned as `overtaking`, for the caller to give back.
 */
const claimInTransaction = async (
  tx: BatchTransaction,
  input: Parameters<OutboxRelayStore['claim']>[0],
): Promise<ClaimOutcome> => {
  const token = randomUUID();
  const [rows] = (await tx.send([{ sql: CANDIDATES_SQL, params: candidateParams(input.now, input.batchSize) }])) as [
    (OutboxRow & { prev_pending_seq: number | string | null })[],
  ];
  if (rows.length === 0) return { claim: { token, messages: [] }, overtaking: [] };
  const linked = inConversationOrder(
    rows.map((row) => ({
      ...toOutboxMessage(row),
      prevPendingSeq: row.prev_pending_seq === null ? null : Number(row.prev_pending_seq),
    })),
  );
  if (linked.length === 0) return { claim: { token, messages: [] }, overtaking: [] };
  const claimable = linked.map(({ prevPendingSeq: _link, ...message }) => message);
  const ids = claimable.map((m) => m.id);
  const expiresAt = new Date(input.now.getTime() + input.leaseMs);
  const check = overtakingStatement(linked, ids);
  const results = await tx.sendAndCommit([
    ...(check ? [check] : []),
    stampStatement(ids, { owner: input.owner, token, expiresAt }),
  ]);
  const stamped = results[results.length - 1];
  // We hold these rows' locks, so nobody can have moved them: a mismatch is a bug, not a race.
  if (affectedRows(stamped) !== ids.length)
    throw new Error(`claim stamped ${affectedRows(stamped)} of ${ids.length} locked rows`);
  const flagged = new Set(check ? (results[0] as { id: string | number }[]).map((row) => String(row.id)) : []);
  if (flagged.size === 0) return { claim: { token, messages: claimable }, overtaking: [] };
  // A flagged row holds back the rest of its conversation in this claim too (they come after it).
  const firstHeld = new Map<string, number>();
  for (const m of claimable)
    if (flagged.has(m.id))
      firstHeld.set(m.aggregateId, Math.min(firstHeld.get(m.aggregateId) ?? m.aggregateSeq, m.aggregateSeq));
  const held = (m: OutboxMessage) => m.aggregateSeq >= (firstHeld.get(m.aggregateId) ?? Infinity);
  return {
    claim: { token, messages: claimable.filter((m) => !held(m)) },
    overtaking: claimable.filter(held).map((m) => m.id),
  };
};

/**
 * The acknowledged rows as a table of (row id, partition, offset), from one JSON parameter:
 * the mark joins it on the primary key, so each row costs one lookup, where a `CASE id WHEN …`
 * per column compared every row with every id (quadratic: a 1,000-row mark took 2.2–2.4× the
 * same UPDATE without positions, bench/experiments/mark-published-cost.ts). JSON_TABLE exists in MariaDB ≥ 10.6 and MySQL ≥ 8.0.4. A row whose
 * position is unknown has no second and third element, so both columns come out NULL (an absent
 * path is NULL ON EMPTY on both servers, where a JSON null's conversion is less uniform) and the
 * row gets NO_POSITION.
 */
const PUBLISHED_POSITIONS = `JSON_TABLE(?, '$[*]' COLUMNS (row_id BIGINT UNSIGNED PATH '$[0]', log_partition INT PATH '$[1]', log_offset BIGINT PATH '$[2]'))`;

/**
 * `[[id, partition, offset], [id], …]` in id order, the order the claim and the consumer lock
 * rows in, so the join drives the updates in that order too and never deadlocks with them.
 * Ids are digit strings (BIGINT UNSIGNED): written into the JSON as numbers without going
 * through a double.
 */
const positionsJson = (ids: readonly string[], positions: ReadonlyMap<string, LogPosition | null> | undefined) => {
  const sorted = [...ids].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
  return `[${sorted
    .map((id) => {
      if (!/^\d+$/.test(id)) throw new Error(`outbox id is not a number: ${id}`);
      const at = positions?.get(id);
      return at ? `[${id},${at.partition},${at.offset}]` : `[${id}]`;
    })
    .join(',')}]`;
};

/** One partition's lost range (domain/lost-records.ts): passed by the group, deleted, or truncated. */
const LOST_RANGE_SQL = '(topic = ? AND kafka_partition = ? AND (kafka_offset < ? OR kafka_offset >= ?))';

const failureUpdate = (
  kind: 'retry' | 'dead',
  failures: readonly RowFailure[],
  token: string,
  now: Date,
): Statement => {
  const ids = failures.map((f) => f.id);
  const attempts = caseById(failures.map((f) => ({ id: f.id, value: f.decision.attempts })));
  const errors = caseById(failures.map((f) => ({ id: f.id, value: boundError(f.error) })));
  if (kind === 'dead') {
    const g = guard('GIVE_UP');
    return {
      sql: `UPDATE outbox_messages SET ${g.set}, dead_at = ?, attempts = ${attempts.sql}, last_error = ${errors.sql}, ${CLEAR_CLAIM}
            WHERE id IN (${placeholders(ids)}) AND ${g.where} AND claim_token = ?`,
      params: [now, ...attempts.params, ...errors.params, ...ids, token],
    };
  }
  const next = caseById(
    failures.map((f) => ({ id: f.id, value: f.decision.kind === 'retry' ? f.decision.nextAttemptAt : now })),
  );
  const g = guard('PUBLISH_FAILED');
  return {
    sql: `UPDATE outbox_messages SET attempts = ${attempts.sql}, next_attempt_at = ${next.sql}, last_error = ${errors.sql}, ${CLEAR_CLAIM}
          WHERE id IN (${placeholders(ids)}) AND ${g.where} AND claim_token = ?`,
    params: [...attempts.params, ...next.params, ...errors.params, ...ids, token],
  };
};

/** One autocommit statement on the batch pool; rows changed. */
const runOne = (database: Database, sql: string, params: readonly unknown[]) =>
  runBatchStatement(database, { sql, params });

/** Gives claimed rows back untouched (no attempt counted): only while this claim still holds them. */
const releaseClaimed = (database: Database, token: string, ids: readonly string[]) =>
  runOne(
    database,
    `UPDATE outbox_messages SET ${CLEAR_CLAIM} WHERE id IN (${placeholders(ids)}) AND status = 'PENDING' AND claim_token = ?`,
    [...ids, token],
  );

export const createSqlOutboxRelayStore = (database: Database): OutboxRelayStore => ({
  async claim(input) {
    const { claim, overtaking } = await inBatchTransaction(database, (tx) => claimInTransaction(tx, input));
    // Rare (a writer committed during the claim's walk): the rows go back for the next claim. If
    // this fails, their lease runs out instead; either way they are never published out of order.
    if (overtaking.length > 0) await releaseClaimed(database, claim.token, overtaking).catch(() => undefined);
    return claim;
  },

  async hasDue(now) {
    const [rows] = (await database.batches().run([{ sql: HAS_DUE_SQL, params: [now, now] }])) as [unknown[]];
    return rows.length > 0;
  },

  markPublished({ token, ids, now, positions }) {
    const g = guard('PUBLISH_ACK');
    return runOne(
      database,
      `UPDATE outbox_messages o JOIN ${PUBLISHED_POSITIONS} d ON o.id = d.row_id
       SET ${g.set}, published_at = ?, kafka_partition = COALESCE(d.log_partition, ${NO_POSITION}),
         kafka_offset = COALESCE(d.log_offset, ${NO_POSITION}), ${CLEAR_CLAIM}
       WHERE ${g.where} AND claim_token = ?`,
      [positionsJson(ids, positions), now, token],
    );
  },

  async recordFailures({ token, failures, now }) {
    const updates = (['retry', 'dead'] as const).flatMap((kind) => {
      const subset = failures.filter((f) => f.decision.kind === kind);
      return subset.length === 0 ? [] : [failureUpdate(kind, subset, token, now)];
    });
    if (updates.length === 0) return 0;
    // One packet, one transaction: a deadlock retry runs both again, never one that already committed.
    const results = await inBatchTransaction(database, (tx) => tx.sendAndCommit(updates));
    return results.reduce<number>((sum, result) => sum + affectedRows(result), 0);
  },

  release: ({ token, ids }) => releaseClaimed(database, token, ids),

  async sweepTopics(publishedBefore) {
    const [rows] = (await database.batches().run([
      {
        sql: `SELECT DISTINCT topic FROM outbox_messages WHERE status = 'PUBLISHED' AND published_at < ? AND kafka_offset <> ${NO_POSITION}`,
        params: [publishedBefore],
      },
    ])) as [{ topic: string }[]];
    return rows.map((r) => r.topic);
  },

  async sweep({ publishedBefore, now, limit, lost }) {
    const g = guard('SWEEP');
    const requeue = (condition: string, params: unknown[]) =>
      runOne(
        database,
        `UPDATE outbox_messages SET ${g.set}, next_attempt_at = ?, published_at = ${NO_TIME_SQL}, kafka_partition = ${NO_POSITION}, kafka_offset = ${NO_POSITION}
         WHERE ${g.where} AND published_at < ? AND ${condition} ORDER BY id LIMIT ?`,
        [now, publishedBefore, ...params, limit],
      );
    const unrecorded = await requeue(`kafka_offset = ${NO_POSITION}`, []);
    const ranges = lost ?? [];
    const lostRows =
      ranges.length === 0
        ? 0
        : await requeue(
            `(${ranges.map(() => LOST_RANGE_SQL).join(' OR ')})`,
            ranges.flatMap((r) => [r.topic, r.partition, r.below, r.atOrAbove]),
          );
    const released = await runOne(
      database,
      `UPDATE outbox_messages SET ${CLEAR_CLAIM} WHERE status = 'PENDING' AND ${CLAIMED_SQL} AND claim_expires_at < ? LIMIT ?`,
      [now, limit],
    );
    return { unrecorded, lost: lostRows, released };
  },

  deleteConsumed({ consumedBefore, limit }) {
    return runOne(
      database,
      `DELETE FROM outbox_messages WHERE status = 'CONSUMED' AND consumed_at < ? ORDER BY id LIMIT ?`,
      [consumedBefore, limit],
    );
  },
});
