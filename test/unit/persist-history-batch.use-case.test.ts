import { createPersistHistoryBatch, type RawRecord } from '../../src/application/persist-history-batch.use-case';
import type { ChatMessageEnvelope } from '../../src/domain/chat-message-envelope';
import { anEnvelope } from '../support/builders';
import { createFakeClock } from '../support/fakes/fake-clock';
import { createInMemoryHistoryStore } from '../support/fakes/in-memory-history-store';
import { createRecordingLogger } from '../support/fakes/recording-logger';

let offset = 0;
const aRecord = (value: string | null, headers: Record<string, string> = {}): RawRecord => ({
  value,
  headers,
  partition: 3,
  offset: String(offset++),
});
const recordOf = (envelope: ChatMessageEnvelope, outboxId?: string) =>
  aRecord(JSON.stringify(envelope), { 'event-id': envelope.eventId, ...(outboxId ? { 'outbox-id': outboxId } : {}) });

const setup = () => {
  const store = createInMemoryHistoryStore();
  const logger = createRecordingLogger();
  const clock = createFakeClock();
  return { store, logger, persist: createPersistHistoryBatch({ store, clock, logger }) };
};

describe('persist history batch', () => {
  it('persists valid records in one call, passing each outbox id along', async () => {
    const { store, persist } = setup();
    const [a, b] = [anEnvelope({ seq: 1 }), anEnvelope({ seq: 2 })];
    await expect(persist([recordOf(a, '11'), recordOf(b)])).resolves.toEqual({ inserted: 2, duplicates: 0, poison: 0 });
    expect(store.persistCalls).toEqual([[{ envelope: a, outboxId: '11' }, { envelope: b }]]);
    expect(store.history).toEqual([a, b]);
  });

  it('counts a redelivered batch as duplicates and inserts nothing', async () => {
    const { store, persist } = setup();
    const records = [recordOf(anEnvelope()), recordOf(anEnvelope())];
    await persist(records);
    await expect(persist(records)).resolves.toEqual({ inserted: 0, duplicates: 2, poison: 0 });
    expect(store.history).toHaveLength(2);
  });

  it('hands a poison record over with its outbox id and event id in the same persist call as the rest', async () => {
    const { store, persist } = setup();
    const good = anEnvelope();
    const poison = aRecord('{not json', { 'outbox-id': '42', 'event-id': 'evt-42' });
    await expect(persist([recordOf(good, '41'), poison])).resolves.toEqual({ inserted: 1, duplicates: 0, poison: 1 });
    expect(store.poison).toEqual([{ outboxId: '42', eventId: 'evt-42', reason: 'poison: value is not JSON' }]);
    expect(store.persistCalls).toHaveLength(1);
    expect(store.history).toEqual([good]);
  });

  it('logs a poison record with its partition, offset and reason', async () => {
    const { logger, persist } = setup();
    const poison = aRecord(null, { 'outbox-id': '7' });
    await persist([poison]);
    expect(logger.at('warn')).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({ partition: 3, offset: poison.offset, reason: 'record has no value' }),
      }),
    ]);
  });

  it('marks a batch of only poison records without history events', async () => {
    const { store, persist } = setup();
    await expect(persist([aRecord('[]'), aRecord('42')])).resolves.toEqual({ inserted: 0, duplicates: 0, poison: 2 });
    expect(store.persistCalls).toEqual([[]]);
    expect(store.poison).toHaveLength(2);
  });

  it('does not mark poison when there is none', async () => {
    const { store, persist } = setup();
    await persist([recordOf(anEnvelope())]);
    expect(store.poison).toEqual([]);
  });

  it('propagates a persist failure so the batch is not committed, poison marks included', async () => {
    const { store, persist } = setup();
    store.failNextPersists(1, new Error('deadlock'));
    await expect(persist([recordOf(anEnvelope()), aRecord('{not json', { 'outbox-id': '9' })])).rejects.toThrow(
      'deadlock',
    );
    expect(store.poison).toEqual([]);
  });
});
