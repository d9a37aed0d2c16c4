import { randomUUID } from 'node:crypto';
import { inConversationOrder } from '../../../domain/conversation-order';
import { boundError } from '../../../domain/outbox-message';
import type { LogPosition } from '../../../domain/ports/event-publisher';
import type { Claim, OutboxRelayStore, RowFailure } from '../../../domain/ports/outbox-relay-store';
import type { Database } from '../create-database';
import type { BatchTransaction, Statement } from '../sql-batches';
import { affectedRows, inBatchTransaction, placeholders, runBatchStatement } from '../transaction';
import { OUTBOX_COLUMNS, toOutboxMessage, type OutboxRow } from '../tables/outbox-messages.table';
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
const LINK_SQL = `CASE
      WHEN o.aggregate_seq = (SELECT h.aggregate_seq FROM outbox_messages h FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE h.aggregate_id = o.aggregate_id AND h.status = 'PENDING' ORDER BY h.aggregate_seq LIMIT 1) THEN NULL
      WHEN EXISTS (SELECT 1 FROM outbox_messages q FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE q.aggregate_id = o.aggregate_id AND q.status = 'PENDING' AND q.aggregate_seq = CAST(o.aggregate_seq AS SIGNED) - 1)
        THEN CAST(o.aggregate_seq AS SIGNED) - 1
      ELSE (SELECT MAX(p.aggregate_seq) FROM outbox_messages p FORCE INDEX (outbox_aggregate_status_seq_idx)
        WHERE p.aggregate_id = o.aggregate_id AND p.status = 'PENDING' AND p.aggregate_seq < o.aggregate_seq)
    END AS prev_pending_seq`;

const CANDIDATE_WALK = `FROM outbox_messages o FORCE INDEX (outbox_claim_idx)
  WHERE o.status = 'PENDING' AND o.next_attempt_at <= ? AND (o.claim_expires_at IS NULL OR o.claim_expires_at <= ?)
    AND (SELECT f.next_attempt_at <= ? AND (f.claim_expires_at IS NULL OR f.claim_expires_at <= ?)
         FROM outbox_messages f FORCE INDEX (outbox_aggregate_status_seq_idx)
         WHERE f.aggregate_id = o.aggregate_id AND f.status = 'PENDING' ORDER BY f.aggregate_seq LIMIT 1)
  ORDER BY o.id LIMIT ? FOR UPDATE SKIP LOCKED`;

/** The candidates and their links as one locking SELECT (what a claimer in another process runs, for tests and the bench's plan). */
export const CANDIDATES_SQL = `
  SELECT ${OUTBOX_COLUMNS},
    ${LINK_SQL}
  ${CANDIDATE_WALK}`;

/**
 * The claim's row ids, as a JSON array in a session variable, read back as a table by the
 * statements after it. Joined first, then the outbox by its primary key: the optimizer guesses
 * a table function's size, and on a small outbox it chose to walk the outbox and join the ids
 * to it, which in an UPDATE locks every row walked, other relays' and the consumer's included.
 */
const CLAIMED_IDS = `JSON_TABLE(@claimed_ids, '$[*]' COLUMNS (row_id BIGINT UNSIGNED PATH '$')) c`;

/**
 * The claim as one packet: lock the candidates (their ids into `@claimed_ids`), stamp them,
 * COMMIT, then read them with their links. Why not SELECT, then the stamp in a second packet: a
 * locking walk of the (status, id) index keeps its locks on the index entries it passed over and
 * rejected (another relay's leased rows, which it walks past first) until its transaction ends:
 * MariaDB 10.11 does not release them under READ COMMITTED, as it does for rejected rows of a
 * primary-key walk (test/integration/outbox-relay.store.test.ts). The `PUBLISHED` mark of those
 * rows needs their index entries, so it waited for the claim's second round trip and its link
 * subqueries: with two relay loops, 60–100 waits of ~20 ms per 50,000-row drain (bench/README.md,
 * sixth round). Now the transaction lasts the walk and the stamp only, and a claim is one round
 * trip instead of two.
 *
 * The rows are read after the COMMIT, by this claim's token (a row ops changed in between is not
 * ours to publish), with their links: plain reads, as they always were, only a moment later. A
 * link read later can only be fresher: an earlier row that left PENDING since was published
 * (acknowledged first), went DEAD or was discarded, and a row put back to PENDING is seen. A
 * candidate the order check then holds back (domain/conversation-order.ts) was stamped with the
 * rest and is released right after; until then its lease only holds back rows its
 * conversation's earlier PENDING row holds back anyway.
 */
const claimStatements = (
  input: Parameters<OutboxRelayStore['claim']>[0],
  stamp: { token: string; expiresAt: Date },
): { locked: Statement[]; read: Statement[] } => ({
  locked: [
    {
      sql: `SELECT JSON_ARRAYAGG(w.id) FROM (SELECT o.id ${CANDIDATE_WALK}) w INTO @claimed_ids`,
      params: candidateParams(input.now, input.batchSize),
    },
    {
      sql: `UPDATE ${CLAIMED_IDS} STRAIGHT_JOIN outbox_messages o FORCE INDEX (PRIMARY) ON o.id = c.row_id SET o.claim_owner = ?, o.claim_token = ?, o.claim_expires_at = ?`,
      params: [input.owner, stamp.token, stamp.expiresAt],
    },
  ],
  read: [
    {
      sql: `SELECT ${OUTBOX_COLUMNS}, ${LINK_SQL} FROM ${CLAIMED_IDS} STRAIGHT_JOIN outbox_messages o FORCE INDEX (PRIMARY) ON o.id = c.row_id
        WHERE o.status = 'PENDING' AND o.claim_token = ? ORDER BY o.id`,
      params: [stamp.token],
    },
  ],
});

/** The claim's filter without the order guard: an idle outbox answers from the index's first entry. */
const HAS_DUE_SQL = `SELECT 1 FROM outbox_messages FORCE INDEX (outbox_claim_idx)
  WHERE status = 'PENDING' AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?) LIMIT 1`;

export const candidateParams = (now: Date, limit: number) => [now, now, now, now, limit];

const claimInTransaction = async (
  tx: BatchTransaction,
  input: Parameters<OutboxRelayStore['claim']>[0],
): Promise<{ token: string; rows: ClaimedRow[]; stamped: number }> => {
  const token = randomUUID();
  const expiresAt = new Date(input.now.getTime() + input.leaseMs);
  const { locked, read } = claimStatements(input, { token, expiresAt });
  const [, stamped, rows] = (await tx.sendAndCommit(locked, read)) as [unknown, unknown, ClaimedRow[]];
  return { token, rows, stamped: affectedRows(stamped) };
};

type ClaimedRow = OutboxRow & { prev_pending_seq: number | string | null };

/** The claimed rows in conversation order; the rest (held back) are released. */
const keepInOrder = async (
  database: Database,
  claimed: { token: string; rows: ClaimedRow[]; stamped: number },
): Promise<Claim> => {
  const { token, rows } = claimed;
  // Rows come back only if stamped by this claim; more than it stamped would be a bug.
  if (rows.length > claimed.stamped) throw new Error(`claim read ${rows.length} rows but stamped ${claimed.stamped}`);
  const messages = inConversationOrder(
    rows.map((row) => ({
      ...toOutboxMessage(row),
      prevPendingSeq: row.prev_pending_seq === null ? null : Number(row.prev_pending_seq),
    })),
  ).map(({ prevPendingSeq: _link, ...message }) => message);
  if (messages.length < rows.length) {
    const kept = new Set(messages.map((m) => m.id));
    await releaseRows(
      database,
      token,
      rows.map((r) => String(r.id)).filter((id) => !kept.has(id)),
    );
  }
  return { token, messages };
};

/**
 * The acknowledged rows as a table of (row id, partition, offset), from one JSON parameter:
 * the mark joins it on the primary key, so each row costs one lookup, where a `CASE id WHEN …`
 * per column compared every row with every id (quadratic: a 1,000-row mark took 2.2–2.4× the
 * same UPDATE without positions, bench/experiments/mark-published-cost.ts). JSON_TABLE exists in MariaDB ≥ 10.6 and MySQL ≥ 8.0.4. A row whose
 * position is unknown has no second and third element, so both columns come out NULL (an absent
 * path is NULL ON EMPTY on both servers, where a JSON null's conversion is less uniform).
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

const releaseRows = (database: Database, token: string, ids: readonly string[]) =>
  runOne(
    database,
    `UPDATE outbox_messages SET ${CLEAR_CLAIM} WHERE id IN (${placeholders(ids)}) AND status = 'PENDING' AND claim_token = ?`,
    [...ids, token],
  );

export const createSqlOutboxRelayStore = (database: Database): OutboxRelayStore => ({
  claim: async (input) =>
    keepInOrder(database, await inBatchTransaction(database, (tx) => claimInTransaction(tx, input))),

  async hasDue(now) {
    const [rows] = (await database.batches().run([{ sql: HAS_DUE_SQL, params: [now, now] }])) as [unknown[]];
    return rows.length > 0;
  },

  markPublished({ token, ids, now, positions }) {
    const g = guard('PUBLISH_ACK');
    return runOne(
      database,
      `UPDATE ${PUBLISHED_POSITIONS} d STRAIGHT_JOIN outbox_messages o FORCE INDEX (PRIMARY) ON o.id = d.row_id
       SET ${g.set}, published_at = ?, kafka_partition = d.log_partition, kafka_offset = d.log_offset, ${CLEAR_CLAIM}
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

  release: ({ token, ids }) => releaseRows(database, token, ids),

  async sweepTopics(publishedBefore) {
    const [rows] = (await database.batches().run([
      {
        sql: `SELECT DISTINCT topic FROM outbox_messages WHERE status = 'PUBLISHED' AND published_at < ? AND kafka_offset IS NOT NULL`,
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
        `UPDATE outbox_messages SET ${g.set}, next_attempt_at = ?, published_at = NULL, kafka_partition = NULL, kafka_offset = NULL
         WHERE ${g.where} AND published_at < ? AND ${condition} ORDER BY id LIMIT ?`,
        [now, publishedBefore, ...params, limit],
      );
    const unrecorded = await requeue('kafka_offset IS NULL', []);
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
      `UPDATE outbox_messages SET ${CLEAR_CLAIM} WHERE status = 'PENDING' AND claim_expires_at IS NOT NULL AND claim_expires_at < ? LIMIT ?`,
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
