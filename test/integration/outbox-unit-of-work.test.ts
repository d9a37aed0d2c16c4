import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { CHAT_MESSAGE_CREATED } from '../../src/domain/chat-message-envelope';
import { ConversationEntity } from '../../src/infra/db/entities/conversation.entity';
import { enqueueOutbox } from '../../src/infra/db/outbox';
import { createCountingWaker, type CountingWaker } from '../support/fakes/counting-waker';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

/**
 * enqueueOutbox in a caller's own MikroORM unit of work, against the real database: the row
 * commits or rolls back with the caller's change, the commit hook wakes the relay only after a
 * commit that inserted outbox rows, and the relay claims the row like a writer's.
 */
describe("outbox in the caller's unit of work (enqueueOutbox + commit hook)", () => {
  let f: PipelineFixture;
  let waker: CountingWaker;
  /** Outbox rows of the aggregate as another connection sees them at each wake-up (committed only). */
  let visibleAtWake: Promise<number>[];
  let aggregateId: string;

  beforeAll(async () => {
    f = await createPipelineFixture();
    // One registration for the file; each test counts on a waker of its own.
    f.database.wakeOnOutboxCommit({ wake: () => waker.wake() });
  });
  afterAll(() => f.close());
  beforeEach(() => {
    waker = createCountingWaker();
    visibleAtWake = [];
    aggregateId = randomUUID();
    waker.onWake(() => visibleAtWake.push(committedRows()));
  });

  const committedRows = async () =>
    (
      await f.sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM outbox_messages WHERE aggregate_id = ?', [
        aggregateId,
      ])
    ).map((r) => Number(r.n))[0] ?? 0;
  const event = (seq: number) => ({
    eventId: randomUUID(),
    aggregateId,
    aggregateSeq: seq,
    eventType: CHAT_MESSAGE_CREATED,
    topic: f.config.kafka.topic,
    payload: {
      messageId: randomUUID(),
      role: 'user',
      content: `message ${seq}`,
      reasoning: null,
      model: null,
      promptTokens: null,
      completionTokens: null,
      partial: false,
    },
    headers: {},
    maxAttempts: 5,
    createdAt: new Date(),
  });
  const newConversation = (em: EntityManager) => {
    const now = new Date();
    em.persist(
      Object.assign(new ConversationEntity(), {
        id: aggregateId,
        userId: 'u1',
        title: null,
        lastSeq: 2,
        messageCount: 0,
        lastMessageAt: null,
        createdAt: now,
        updatedAt: now,
      }),
    );
  };

  it("commits the rows with the caller's own change in one transaction, then wakes the relay once", async () => {
    await f.database.fork().transactional(async (em) => {
      newConversation(em);
      enqueueOutbox(em, event(1));
      enqueueOutbox(em, event(2));
      await em.flush();
      // Flushed, not committed: nothing woken and nothing visible to another connection yet.
      expect(waker.count).toBe(0);
      await expect(committedRows()).resolves.toBe(0);
    });
    expect(waker.count).toBe(1);
    await expect(Promise.all(visibleAtWake)).resolves.toEqual([2]);
    const rows = await f.sql.query(
      'SELECT aggregate_seq, status, attempts, max_attempts FROM outbox_messages WHERE aggregate_id = ? ORDER BY aggregate_seq',
      [aggregateId],
    );
    expect(rows).toEqual([
      { aggregate_seq: 1, status: 'PENDING', attempts: 0, max_attempts: 5 },
      { aggregate_seq: 2, status: 'PENDING', attempts: 0, max_attempts: 5 },
    ]);
    await expect(f.sql.query('SELECT last_seq FROM conversations WHERE id = ?', [aggregateId])).resolves.toEqual([
      { last_seq: 2 },
    ]);
  });

  it("rolls the rows back with the caller's change and wakes nothing", async () => {
    const failure = new Error('business rule broken after the flush');
    const attempt = f.database.fork().transactional(async (em) => {
      newConversation(em);
      enqueueOutbox(em, event(1));
      await em.flush();
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(waker.count).toBe(0);
    await expect(committedRows()).resolves.toBe(0);
    await expect(f.sql.query('SELECT id FROM conversations WHERE id = ?', [aggregateId])).resolves.toEqual([]);
  });

  it("wakes after a plain flush (MikroORM's own transaction) too", async () => {
    const em = f.database.fork();
    newConversation(em);
    enqueueOutbox(em, event(1));
    await em.flush();
    expect(waker.count).toBe(1);
    await expect(Promise.all(visibleAtWake)).resolves.toEqual([1]);
  });

  it('wakes once, at the outer commit, for rows enqueued in a nested transaction', async () => {
    await f.database.fork().transactional(async (outer) => {
      newConversation(outer);
      await outer.transactional(async (inner) => {
        enqueueOutbox(inner, event(1));
      });
      // The savepoint is released, the transaction is not committed.
      expect(waker.count).toBe(0);
      enqueueOutbox(outer, event(2));
    });
    expect(waker.count).toBe(1);
    await expect(Promise.all(visibleAtWake)).resolves.toEqual([2]);
  });

  it('does not wake for a commit without outbox rows', async () => {
    await f.database.fork().transactional(async (em) => newConversation(em));
    const em = f.database.fork();
    const conversation = await em.findOneOrFail(ConversationEntity, aggregateId);
    conversation.title = 'renamed';
    await em.flush();
    expect(waker.count).toBe(0);
  });

  it("hands the rows to the same relay: claimed in seq order like the writer's", async () => {
    await f.database.fork().transactional(async (em) => {
      newConversation(em);
      enqueueOutbox(em, event(1));
      enqueueOutbox(em, event(2));
    });
    const claim = await f.store.claim({
      owner: 'relay-test',
      batchSize: 1000,
      leaseMs: 30_000,
      now: new Date(Date.now() + 1000),
    });
    const mine = claim.messages.filter((m) => m.aggregateId === aggregateId);
    expect(mine.map((m) => m.aggregateSeq)).toEqual([1, 2]);
    expect(mine[0]).toMatchObject({ eventType: CHAT_MESSAGE_CREATED, status: 'PENDING', attempts: 0, headers: {} });
  });

  describe('the chat writer on the same hook', () => {
    const send = (clientMessageId: string) =>
      f.append({
        conversationId: aggregateId,
        userId: 'u1',
        messages: [{ role: 'user', content: 'hi' }],
        turn: {
          replyId: randomUUID(),
          clientMessageId,
          contentSha256: 'a'.repeat(64),
          model: 'WORKER',
          thinking: false,
        },
      });

    it('wakes the relay once per append, after its rows are committed', async () => {
      await f.append({
        conversationId: aggregateId,
        userId: 'u1',
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'assistant', content: 'c' },
        ],
      });
      expect(waker.count).toBe(1);
      await expect(Promise.all(visibleAtWake)).resolves.toEqual([3]);
    });

    it("wakes nothing when the append rolls back (a duplicate client message id, another user's conversation)", async () => {
      const clientMessageId = randomUUID();
      await send(clientMessageId);
      await expect(send(clientMessageId)).resolves.toMatchObject({ duplicate: true, messages: [] });
      await expect(
        f.append({ conversationId: aggregateId, userId: 'intruder', messages: [{ role: 'user', content: 'x' }] }),
      ).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND' });
      expect(waker.count).toBe(1);
      await expect(committedRows()).resolves.toBe(1);
    });

    it("commits even when the wake-up fails (the relay's scheduled scan publishes the row)", async () => {
      waker.failWith(new Error('redis down'));
      await expect(
        f.append({ conversationId: aggregateId, userId: 'u1', messages: [{ role: 'user', content: 'a' }] }),
      ).resolves.toMatchObject({ messages: [{ seq: 1 }] });
      expect(waker.count).toBe(1);
      await expect(committedRows()).resolves.toBe(1);
    });
  });
});
