import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/knex';
import { createMikroConversationQueries } from '../../src/infra/db/repositories/mikro-conversation.queries';
import type { Database } from '../../src/infra/db/create-database';
import type { SqlBatches } from '../../src/infra/db/sql-batches';
import {
  CANDIDATES_SQL,
  candidateParams,
  createSqlOutboxRelayStore,
} from '../../src/infra/db/repositories/sql-outbox-relay.store';
import { chatMessagePayload } from '../../src/domain/chat-message-envelope';
import { envelopeOfRow } from '../support/builders';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

const LEASE_MS = 30_000;
const inAnHour = () => new Date(Date.now() + 3_600_000);

describe('SQL outbox relay store on the database', () => {
  let f: PipelineFixture;
  beforeEach(async () => {
    f = await createPipelineFixture();
  });
  afterEach(() => f.close());

  const claim = (owner = 'relay-a', now = new Date(), batchSize = 100) =>
    f.store.claim({ owner, batchSize, leaseMs: LEASE_MS, now });

  it('claims due rows in id order and stamps owner, lease and token', async () => {
    const { eventIds } = await f.write(3);
    const batch = await claim();
    expect(batch.messages.map((m) => m.eventId)).toEqual(eventIds);
    const [row] = await f.sql.query<{ claim_owner: string; claim_token: string; claim_expires_at: Date }>(
      'SELECT claim_owner, claim_token, claim_expires_at FROM outbox_messages LIMIT 1',
    );
    expect(row).toMatchObject({ claim_owner: 'relay-a', claim_token: batch.token });
    expect(new Date(row!.claim_expires_at).getTime()).toBeGreaterThan(Date.now() + LEASE_MS - 5_000);
  });

  it('claims each payload as the JSON text the writer stored, byte for byte, for the relay to publish as it is', async () => {
    const message = { role: 'assistant' as const, content: 'héllo "you" 🙂\n', model: 'm', promptTokens: 3 };
    const { messages } = await f.append({ conversationId: randomUUID(), userId: 'user-1', messages: [message] });
    const [claimed] = (await claim()).messages;
    expect(claimed?.payloadJson).toBe(JSON.stringify(chatMessagePayload(messages[0]!.messageId, message)));
  });

  it('answers hasDue without a transaction: false when empty, leased, backing off or published; true for a due row', async () => {
    await expect(f.store.hasDue(new Date())).resolves.toBe(false);
    await f.write(1);
    await expect(f.store.hasDue(new Date())).resolves.toBe(true);
    const leased = await claim();
    await expect(f.store.hasDue(new Date())).resolves.toBe(false);
    await expect(f.store.hasDue(new Date(Date.now() + LEASE_MS + 1_000))).resolves.toBe(true);
    const [row] = leased.messages;
    await f.store.recordFailures({
      token: leased.token,
      failures: [{ id: row!.id, error: 'boom', decision: { kind: 'retry', attempts: 1, nextAttemptAt: inAnHour() } }],
      now: new Date(),
    });
    await expect(f.store.hasDue(new Date())).resolves.toBe(false);
    await expect(f.store.hasDue(new Date(Date.now() + 2 * 3_600_000))).resolves.toBe(true);
    const again = await claim('relay-a', new Date(Date.now() + 2 * 3_600_000));
    await f.store.markPublished({ token: again.token, ids: again.messages.map((m) => m.id), now: new Date() });
    await expect(f.store.hasDue(new Date(Date.now() + 3 * 3_600_000))).resolves.toBe(false);
  });

  it('does not hand a leased row to a second claimer', async () => {
    await f.write(2);
    expect((await claim('relay-a')).messages).toHaveLength(2);
    expect((await claim('relay-b')).messages).toHaveLength(0);
  });

  describe('concurrent claim transactions (SKIP LOCKED)', () => {
    const openClaimer = async () => {
      const em = f.database.fork() as EntityManager;
      await em.begin({ isolationLevel: 'read committed' as never });
      return em;
    };
    const candidates = (em: EntityManager, sql: string, limit: number) =>
      em.execute<{ id: string }[]>(sql, candidateParams(new Date(), limit));

    it('gives two open claimers disjoint, non-empty batches with the index-ordered query', async () => {
      await f.write(5);
      await f.write(5);
      const [a, b] = [await openClaimer(), await openClaimer()];
      try {
        const first = (await candidates(a, CANDIDATES_SQL, 4)).map((r) => String(r.id));
        const second = (await candidates(b, CANDIDATES_SQL, 4)).map((r) => String(r.id));
        expect(first).toHaveLength(4);
        expect(second).toHaveLength(4);
        expect(first.filter((id) => second.includes(id))).toEqual([]);
      } finally {
        await Promise.all([a.rollback(), b.rollback()]);
      }
    });

    it('starves the second claimer when the ORDER BY needs a filesort (why the claim index matters)', async () => {
      await f.write(10);
      const filesort = CANDIDATES_SQL.replace(
        'FORCE INDEX (outbox_claim_idx)',
        'IGNORE INDEX (outbox_claim_idx)',
      ).replace('ORDER BY o.id', 'ORDER BY o.next_attempt_at, o.id');
      const [plan] = await f.sql.query<{ Extra: string }>(
        `EXPLAIN ${filesort.replace('FOR UPDATE SKIP LOCKED', '')}`,
        candidateParams(new Date(), 4),
      );
      expect(plan?.Extra).toMatch(/filesort/);
      const [a, b] = [await openClaimer(), await openClaimer()];
      try {
        expect(await candidates(a, filesort, 4)).toHaveLength(4);
        expect(await candidates(b, filesort, 4)).toHaveLength(0);
      } finally {
        await Promise.all([a.rollback(), b.rollback()]);
      }
    });

    it('loses its locks at once when the claim SQL runs beside the transaction instead of on it', async () => {
      await f.write(4);
      const [a, b] = [await openClaimer(), await openClaimer()];
      try {
        // em.getConnection().execute() takes a pooled autocommit connection, not a's transaction.
        const outside = await a
          .getConnection()
          .execute<{ id: string }[]>(CANDIDATES_SQL, candidateParams(new Date(), 4));
        const second = await candidates(b, CANDIDATES_SQL, 4);
        expect(second.map((r) => String(r.id))).toEqual(outside.map((r) => String(r.id)));
      } finally {
        await Promise.all([a.rollback(), b.rollback()]);
      }
    });

    it("holds back a conversation's later row while another claimer's open transaction holds its earlier one (the link is a plain read)", async () => {
      const a = await f.write(2);
      const other = await f.write(1);
      const holder = await openClaimer();
      try {
        const held = await candidates(holder, CANDIDATES_SQL, 1);
        expect(held).toHaveLength(1);
        // a1 is locked, not yet stamped: SKIP LOCKED hides it from this claim, but a2's link
        // to it must not, or a2 would be published ahead of a1.
        const batch = await claim('relay-b');
        expect(batch.messages.map((m) => m.eventId)).toEqual(other.eventIds);
        expect(batch.messages.map((m) => m.aggregateId)).not.toContain(a.conversationId);
        // a2 was locked by the claim but never stamped: no lease is left on it.
        const [a2] = await f.sql.query<{ claim_token: string }>(
          'SELECT claim_token FROM outbox_messages WHERE event_id = ?',
          [a.eventIds[1]],
        );
        expect(a2).toEqual({ claim_token: '' });
      } finally {
        await holder.rollback();
      }
    });

    it("keeps the claim index entries its walk passed over locked until its transaction ends, so another relay's mark of them waits (the drain's row-lock waits)", async () => {
      const inFlight = await f.write(1);
      const leased = await claim('relay-a');
      await f.write(1);
      const walker = await openClaimer();
      try {
        // The walk rejects relay-a's leased row (its lease has not run out) and takes the next one.
        const taken = await candidates(walker, CANDIDATES_SQL, 1);
        expect(taken.map((r) => r.id)).not.toContain(leased.messages[0]!.id);
        const mark = f.sql.query(
          `SET STATEMENT innodb_lock_wait_timeout = 1 FOR UPDATE outbox_messages SET status = 'PUBLISHED' WHERE event_id = ?`,
          [inFlight.eventIds[0]],
        );
        await expect(mark).rejects.toThrow(/Lock wait timeout/);
      } finally {
        await walker.rollback();
      }
      // Once the claim has committed nothing stays locked: relay-b claims, then relay-a's mark goes through at once.
      await f.write(1);
      expect((await claim('relay-b')).messages).toHaveLength(2);
      await expect(
        f.store.markPublished({ token: leased.token, ids: leased.messages.map((m) => m.id), now: new Date() }),
      ).resolves.toBe(1);
    });

    it('links each candidate to the highest PENDING seq below its own, across a row that is not PENDING, also while that row is locked', async () => {
      const a = await f.write(4);
      // seq 2 published (a replayed or re-queued seq 1 can sit behind a later row like this)
      await f.sql.query(`UPDATE outbox_messages SET status = 'PUBLISHED' WHERE event_id = ?`, [a.eventIds[1]]);
      const links = async () =>
        (
          await f.sql.query<{ event_id: string; prev_pending_seq: number | string | null }>(
            CANDIDATES_SQL.replace('FOR UPDATE SKIP LOCKED', ''),
            candidateParams(new Date(), 10),
          )
        ).map((r) => [r.event_id, r.prev_pending_seq === null ? null : Number(r.prev_pending_seq)]);
      // seq 1: the first PENDING row; seq 3: past the published seq 2 to seq 1; seq 4: seq 3.
      expect(await links()).toEqual([
        [a.eventIds[0], null],
        [a.eventIds[2], 1],
        [a.eventIds[3], 3],
      ]);
      const holder = await openClaimer();
      try {
        expect(await candidates(holder, CANDIDATES_SQL, 1)).toHaveLength(1);
        // seq 1 locked elsewhere: seq 3 links to it across the gap, so nothing of the conversation goes.
        expect((await claim('relay-b')).messages).toEqual([]);
      } finally {
        await holder.rollback();
      }
    });

    it("keeps a conversation's order when a writer commits during the claim's walk: a row linked past one the walk skipped waits for it", async () => {
      const a = await f.write(1);
      // Copies of seq 1 under new seqs, written the way a writer's transaction would write them.
      const columns = (await f.sql.query<{ Field: string }>('SHOW COLUMNS FROM outbox_messages'))
        .map((c) => c.Field)
        .filter((c) => !['id', 'event_id', 'aggregate_seq'].includes(c))
        .join(', ');
      const copyAt = (seq: number): [string, unknown[]] => [
        `INSERT INTO outbox_messages (event_id, aggregate_seq, ${columns}) SELECT UUID(), ?, ${columns} FROM outbox_messages WHERE event_id = ?`,
        [seq, a.eventIds[0]],
      ];
      // seq 2's writer has inserted but not committed: the claim's walk passes over it (SKIP LOCKED)
      // and its snapshot does not have it; seqs 3 and 4 are committed, so the walk takes them, seq 3
      // linked to seq 1 across the gap, seq 4 to seq 3.
      const writer = await openClaimer();
      await writer.execute(...copyAt(2));
      await f.sql.query(...copyAt(3));
      await f.sql.query(...copyAt(4));
      // The writer commits between the claim's two packets, as it would have while the walk ran.
      const batches = f.database.batches();
      const pausing: SqlBatches = {
        ...batches,
        transaction: (work) =>
          batches.transaction((tx) => {
            let first = true;
            return work({
              send: async (statements) => {
                const results = await tx.send(statements);
                if (first) await writer.commit();
                first = false;
                return results;
              },
              sendAndCommit: (statements) => tx.sendAndCommit(statements),
            });
          }),
      };
      const store = createSqlOutboxRelayStore(
        Object.assign(Object.create(f.database) as Database, { batches: () => pausing }),
      );
      const seqsOf = (messages: readonly { aggregateSeq: number }[]) => messages.map((m) => m.aggregateSeq);

      const first = await store.claim({ owner: 'relay-a', batchSize: 100, leaseMs: LEASE_MS, now: new Date() });
      expect(seqsOf(first.messages)).toEqual([1]);
      // seqs 3 and 4 were stamped with seq 1 and then given back: no lease left on them.
      const tokens = await f.sql.query<{ claim_token: string }>(
        'SELECT claim_token FROM outbox_messages WHERE aggregate_id = ? AND aggregate_seq > 2 ORDER BY aggregate_seq',
        [a.conversationId],
      );
      expect(tokens).toEqual([{ claim_token: '' }, { claim_token: '' }]);
      await f.store.markPublished({ token: first.token, ids: first.messages.map((m) => m.id), now: new Date() });
      expect(seqsOf((await claim('relay-b')).messages)).toEqual([2, 3, 4]);
    });

    it('plans the real claim query without a filesort', async () => {
      const rows = await f.sql.query<{ Extra: string | null; key: string | null }>(
        `EXPLAIN ${CANDIDATES_SQL.replace('FOR UPDATE SKIP LOCKED', '')}`,
        candidateParams(new Date(), 4),
      );
      expect(rows[0]?.key).toBe('outbox_claim_idx');
      expect(rows[0]?.Extra ?? '').not.toMatch(/filesort/);
    });
  });

  it('never lets a slow mark-published overwrite CONSUMED, and a redelivered copy adds no history (the seed bug)', async () => {
    const { eventIds } = await f.write(1);
    const batch = await claim();
    const message = batch.messages[0]!;
    const envelope = envelopeOfRow(message);
    // The consumer wins the race: the copy is persisted before the relay records its ack.
    await expect(f.history.persist({ events: [{ envelope, outboxId: message.id }], now: new Date() })).resolves.toEqual(
      { inserted: 1, duplicates: 0, insertedEventIds: new Set([message.eventId]) },
    );
    await expect(f.store.markPublished({ token: batch.token, ids: [message.id], now: new Date() })).resolves.toBe(0);
    expect((await f.rowsOf(eventIds))[0]?.status).toBe('CONSUMED');
    // The redelivered copy (the relay will not resend a CONSUMED row, but Kafka may redeliver).
    await expect(f.history.persist({ events: [{ envelope, outboxId: message.id }], now: new Date() })).resolves.toEqual(
      { inserted: 0, duplicates: 1, insertedEventIds: new Set() },
    );
    const [count] = await f.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages WHERE event_id = ?', [
      message.eventId,
    ]);
    expect(Number(count?.n)).toBe(1);
  });

  const envelopeOf = (
    message: Awaited<ReturnType<typeof claim>>['messages'][number],
    overrides: { eventId?: string; messageId?: string } = {},
  ) => {
    const envelope = envelopeOfRow(message);
    return {
      ...envelope,
      eventId: overrides.eventId ?? envelope.eventId,
      payload: { ...envelope.payload, messageId: overrides.messageId ?? envelope.payload.messageId },
    };
  };

  it('marks poison rows DEAD, by outbox id or by event id, each with its own reason, in the transaction that persists the batch', async () => {
    const { eventIds } = await f.write(3);
    const [byId, byEventId, good] = (await claim()).messages;
    await f.history.persist({
      events: [{ envelope: envelopeOf(good!), outboxId: good!.id }],
      poison: [
        { outboxId: byId!.id, reason: 'poison: value is not JSON' },
        { eventId: byEventId!.eventId, reason: 'poison: record has no value' },
      ],
      now: new Date(),
    });
    expect((await f.rowsOf(eventIds)).map((r) => [r.status, r.last_error])).toEqual([
      ['DEAD', 'poison: value is not JSON'],
      ['DEAD', 'poison: record has no value'],
      ['CONSUMED', null],
    ]);
  });

  it('rolls the poison marks back with the batch when its history insert fails', async () => {
    const { eventIds } = await f.write(2);
    const [poison, good] = (await claim()).messages;
    // Another message at a (conversation, seq) already taken: the history insert hits its unique key.
    const clash = envelopeOf(good!, { eventId: randomUUID(), messageId: randomUUID() });
    await f.history.persist({ events: [{ envelope: envelopeOf(good!), outboxId: good!.id }], now: new Date() });
    await expect(
      f.history.persist({
        events: [{ envelope: clash }],
        poison: [{ outboxId: poison!.id, reason: 'poison: value is not JSON' }],
        now: new Date(),
      }),
    ).rejects.toThrow();
    expect((await f.rowsOf(eventIds)).map((r) => r.status)).toEqual(['PENDING', 'CONSUMED']);
  });

  it('stores a message once when a writer retry appended it twice (same message id, two events), and consumes both rows', async () => {
    // A writer whose commit succeeded but whose reply was lost retries the append: same message id, new event and seq.
    const conversationId = randomUUID();
    const message = { role: 'assistant' as const, content: 'the reply', messageId: randomUUID() };
    const first = await f.append({ conversationId, userId: 'user-1', messages: [message] });
    const retry = await f.append({ conversationId, userId: 'user-1', messages: [message] });
    const eventIds = [first.messages[0]!.eventId, retry.messages[0]!.eventId];
    const claimed = (await claim()).messages;
    const events = claimed.map((m) => ({ envelope: envelopeOf(m), outboxId: m.id }));
    await expect(f.history.persist({ events: [events[0]!], now: new Date() })).resolves.toMatchObject({
      inserted: 1,
      duplicates: 0,
    });
    await expect(f.history.persist({ events: [events[1]!], now: new Date() })).resolves.toMatchObject({
      inserted: 0,
      duplicates: 1,
    });
    expect((await f.rowsOf(eventIds)).map((r) => r.status)).toEqual(['CONSUMED', 'CONSUMED']);
    const rows = await f.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM chat_messages WHERE id = ?', [
      message.messageId,
    ]);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('keeps the first of two events for one message id within one batch', async () => {
    const conversationId = randomUUID();
    const message = { role: 'user' as const, content: 'hello', messageId: randomUUID() };
    await f.append({ conversationId, userId: 'user-1', messages: [message] });
    await f.append({ conversationId, userId: 'user-1', messages: [message] });
    const claimed = (await claim()).messages;
    await expect(
      f.history.persist({ events: claimed.map((m) => ({ envelope: envelopeOf(m), outboxId: m.id })), now: new Date() }),
    ).resolves.toMatchObject({ inserted: 1, duplicates: 1 });
    const [stored] = await f.sql.query<{ seq: number }>('SELECT seq FROM chat_messages WHERE id = ?', [
      message.messageId,
    ]);
    expect(stored?.seq).toBe(1);
    const [conversation] = await f.sql.query<{ message_count: number }>(
      'SELECT message_count FROM conversations WHERE id = ?',
      [conversationId],
    );
    expect(conversation?.message_count).toBe(1);
  });

  it('finds a committed message by its id for a writer retry: from its outbox row, else from history after retention', async () => {
    const queries = createMikroConversationQueries(f.database);
    const conversationId = randomUUID();
    const message = {
      role: 'assistant' as const,
      content: 'the reply',
      messageId: randomUUID(),
      reasoning: 'why',
      model: 'm',
      promptTokens: 3,
      completionTokens: 4,
      partial: true,
    };
    // What a takeover ends the reply's stream from: the stored payload, whichever table holds it.
    const payload = {
      messageId: message.messageId,
      role: 'assistant',
      content: 'the reply',
      reasoning: 'why',
      model: 'm',
      promptTokens: 3,
      completionTokens: 4,
      partial: true,
    };
    await f.append({ conversationId, userId: 'user-1', messages: [{ role: 'user', content: 'q' }] });
    const {
      messages: [appended],
    } = await f.append({ conversationId, userId: 'user-1', messages: [message] });
    await expect(queries.committedMessage(conversationId, message.messageId)).resolves.toMatchObject({
      messageId: message.messageId,
      eventId: appended!.eventId,
      seq: 2,
      payload,
    });
    await expect(queries.committedMessage(conversationId, randomUUID())).resolves.toBeNull();
    await expect(queries.committedMessage(randomUUID(), message.messageId)).resolves.toBeNull(); // another conversation's

    const claimed = (await claim()).messages;
    await f.history.persist({
      events: claimed.map((m) => ({ envelope: envelopeOf(m), outboxId: m.id })),
      now: new Date(),
    });
    await f.sql.query('DELETE FROM outbox_messages WHERE aggregate_id = ?', [conversationId]);
    await expect(queries.committedMessage(conversationId, message.messageId)).resolves.toMatchObject({
      messageId: message.messageId,
      eventId: appended!.eventId,
      seq: 2,
      payload,
    });
  });

  it('fences a relay whose lease expired: its ack changes nothing after another relay re-claims', async () => {
    await f.write(2);
    const stale = await claim('relay-a', new Date());
    const fresh = await claim('relay-b', new Date(Date.now() + LEASE_MS + 1_000));
    expect(fresh.messages).toHaveLength(2);
    await expect(
      f.store.markPublished({ token: stale.token, ids: stale.messages.map((m) => m.id), now: new Date() }),
    ).resolves.toBe(0);
    await expect(
      f.store.markPublished({ token: fresh.token, ids: fresh.messages.map((m) => m.id), now: new Date() }),
    ).resolves.toBe(2);
  });

  it('marks each row of a 1,000-row batch with its own partition and offset, and only rows the claim still holds', async () => {
    for (let i = 0; i < 10; i += 1) await f.write(100);
    const batch = await claim('relay-a', new Date(), 1_000);
    expect(batch.messages).toHaveLength(1_000);
    const ids = batch.messages.map((m) => m.id);
    // Offsets unrelated to id order, one row whose position is unknown, one row the consumer completed first.
    const positions = new Map(
      ids.map((id, i) => [id, i === 7 ? null : { partition: (i * 7) % 3, offset: 1_000_000 - 13 * i }]),
    );
    await f.sql.run(`UPDATE outbox_messages SET status = 'CONSUMED' WHERE id = ?`, [ids[500]]);
    await expect(f.store.markPublished({ token: batch.token, ids, now: new Date(), positions })).resolves.toBe(999);
    const stored = await f.sql.query<{
      id: string;
      status: string;
      kafka_partition: number;
      kafka_offset: number;
    }>('SELECT id, status, kafka_partition, kafka_offset FROM outbox_messages');
    const got = new Map(stored.map((r) => [String(r.id), r]));
    ids.forEach((id, i) => {
      const row = got.get(id);
      const at = i === 500 ? null : positions.get(id);
      expect([row?.status, row?.kafka_partition, Number(row?.kafka_offset)]).toEqual([
        i === 500 ? 'CONSUMED' : 'PUBLISHED',
        at?.partition ?? -1,
        at?.offset ?? -1,
      ]);
    });
  });

  it('holds back later rows of a conversation while an earlier one backs off, and lets other conversations flow', async () => {
    const a = await f.write(2);
    const b = await f.write(1);
    const batch = await claim();
    const [a1, a2] = batch.messages.filter((m) => m.aggregateId === a.conversationId);
    const [b1] = batch.messages.filter((m) => m.aggregateId === b.conversationId);
    await f.store.recordFailures({
      token: batch.token,
      failures: [{ id: a1!.id, error: 'boom', decision: { kind: 'retry', attempts: 1, nextAttemptAt: inAnHour() } }],
      now: new Date(),
    });
    await f.store.release({ token: batch.token, ids: [a2!.id] });
    await f.store.markPublished({ token: batch.token, ids: [b1!.id], now: new Date() });
    // a2 is due and unclaimed, but a1 (earlier, backing off) holds it back.
    expect((await claim()).messages).toEqual([]);
    const c = await f.write(1);
    const flowing = await claim();
    expect(flowing.messages.map((m) => m.eventId)).toEqual(c.eventIds);
    await f.store.markPublished({ token: flowing.token, ids: flowing.messages.map((m) => m.id), now: new Date() });
    const later = await claim('relay-a', new Date(Date.now() + 2 * 3_600_000));
    expect(later.messages.map((m) => m.eventId)).toEqual(a.eventIds);
  });

  it('does not let a backing-off conversation fill the batch: rows behind it leave room for other conversations', async () => {
    const a = await f.write(3);
    const b = await f.write(1);
    const first = await claim('relay-a', new Date(), 1);
    expect(first.messages.map((m) => m.eventId)).toEqual([a.eventIds[0]]);
    await f.store.recordFailures({
      token: first.token,
      failures: [
        {
          id: first.messages[0]!.id,
          error: 'boom',
          decision: { kind: 'retry', attempts: 1, nextAttemptAt: inAnHour() },
        },
      ],
      now: new Date(),
    });
    // a2 and a3 are due and have lower ids than b1, but sit behind a1: a batch of 2 must still reach b1.
    expect((await claim('relay-a', new Date(), 2)).messages.map((m) => m.eventId)).toEqual(b.eventIds);
  });

  it('marks a row DEAD with its bounded last error after the final attempt', async () => {
    const { eventIds } = await f.write(1);
    const batch = await claim();
    const error = `broker said no ${'x'.repeat(2_000)}`;
    await f.store.recordFailures({
      token: batch.token,
      failures: [{ id: batch.messages[0]!.id, error, decision: { kind: 'dead', attempts: 10 } }],
      now: new Date(),
    });
    const [row] = await f.rowsOf(eventIds);
    expect(row).toMatchObject({ status: 'DEAD', attempts: 10, claim_token: '' });
    expect(row?.last_error).toHaveLength(1000);
    expect(row?.last_error?.startsWith('broker said no')).toBe(true);
  });

  it('sweeps PUBLISHED rows not consumed in time back to PENDING and clears expired claims', async () => {
    const published = await f.write(1);
    const leased = await f.write(1);
    const first = await claim('relay-a', new Date(), 1);
    await f.store.markPublished({
      token: first.token,
      ids: first.messages.map((m) => m.id),
      now: new Date(Date.now() - 60_000),
    });
    const expired = await claim('relay-b', new Date(), 1);
    await f.sql.run('UPDATE outbox_messages SET claim_expires_at = ? WHERE claim_token = ?', [
      new Date(Date.now() - 1_000),
      expired.token,
    ]);
    await expect(
      f.store.sweep({ publishedBefore: new Date(Date.now() - 30_000), now: new Date(), limit: 100, lost: [] }),
    ).resolves.toEqual({ unrecorded: 1, lost: 0, released: 1 });
    expect((await f.rowsOf(published.eventIds))[0]).toMatchObject({ status: 'PENDING' });
    expect((await f.rowsOf(leased.eventIds))[0]).toMatchObject({ status: 'PENDING', claim_token: '' });
  });

  it('deletes only CONSUMED rows past retention, in bounded batches', async () => {
    const old = await f.write(3);
    const recent = await f.write(1);
    await f.sql.run(`UPDATE outbox_messages SET status = 'CONSUMED', consumed_at = ? WHERE event_id IN (?, ?, ?)`, [
      new Date(Date.now() - 86_400_000),
      ...old.eventIds,
    ]);
    await f.sql.run(`UPDATE outbox_messages SET status = 'CONSUMED', consumed_at = ? WHERE event_id = ?`, [
      new Date(),
      recent.eventIds[0],
    ]);
    const cutoff = new Date(Date.now() - 3_600_000);
    await expect(f.store.deleteConsumed({ consumedBefore: cutoff, limit: 2 })).resolves.toBe(2);
    await expect(f.store.deleteConsumed({ consumedBefore: cutoff, limit: 2 })).resolves.toBe(1);
    await expect(f.store.deleteConsumed({ consumedBefore: cutoff, limit: 2 })).resolves.toBe(0);
    expect(await f.rowsOf(recent.eventIds)).toHaveLength(1);
  });
});
