import { randomUUID } from 'node:crypto';
import { decodeEnvelope, encodeEnvelope } from '../../src/domain/chat-message-envelope';
import type { OutboxMessage } from '../../src/domain/outbox-message';
import { createKafkaPublisher } from '../../src/infra/kafka/kafka-publisher';
import { createLogger } from '../../src/infra/logger';
import { anEnvelope, anOutboxMessage } from '../support/builders';
import { createFakeKafkaProducer } from '../support/fakes/fake-kafka-producer';

const conversation = (n: number) => {
  const aggregateId = randomUUID();
  return Array.from({ length: n }, (_, i) =>
    anOutboxMessage({ aggregateId, aggregateSeq: i + 1, payloadJson: JSON.stringify(anEnvelope().payload) }),
  );
};

const started = async () => {
  const fake = createFakeKafkaProducer();
  const publisher = createKafkaPublisher({ kafka: fake.client, logger: createLogger({ level: 'silent' }) });
  await publisher.start();
  return { fake, publisher };
};
const acceptedIds = (fake: ReturnType<typeof createFakeKafkaProducer>) =>
  fake.accepted.map(({ message }) => message.headers?.['outbox-id']?.toString());
const ids = (rows: readonly OutboxMessage[]) => rows.map((r) => r.id);

describe('encodeEnvelope', () => {
  it('builds an envelope the consumer decodes back to the row', () => {
    const [row] = conversation(1);
    const decoded = decodeEnvelope(encodeEnvelope(row!).value?.toString() ?? null);
    expect(decoded).toEqual({
      ok: true,
      envelope: expect.objectContaining({
        eventId: row!.eventId,
        conversationId: row!.aggregateId,
        seq: 1,
        occurredAt: row!.createdAt.toISOString(),
      }),
    });
  });

  it('keys by conversation and names the row in headers that row headers cannot override', () => {
    const [row] = conversation(1);
    const message = encodeEnvelope({ ...row!, headers: { traceparent: 't', 'outbox-id': 'spoofed' } });
    expect(message.key).toBe(row!.aggregateId);
    expect(message.headers).toMatchObject({
      traceparent: 't',
      'outbox-id': row!.id,
      'event-id': row!.eventId,
      'schema-version': '1',
    });
  });
});

describe('kafka publisher', () => {
  it('sends the whole batch in one call and reports no failures when the broker accepts it', async () => {
    const { fake, publisher } = await started();
    const rows = [...conversation(2), ...conversation(1)];
    const result = await publisher.publish(rows);
    expect(result.failures).toEqual(new Map());
    expect(result.unavailable).toBeUndefined();
    expect([...result.acknowledged.keys()]).toEqual(ids(rows));
    expect(fake.sends.count).toBe(1);
    expect(acceptedIds(fake)).toEqual(ids(rows));
  });

  it('answers the partition and offset the broker gave each acknowledged row', async () => {
    const { fake, publisher } = await started();
    await publisher.publish(conversation(2));
    const rows = [...conversation(3), ...conversation(2), ...conversation(4)];
    const { acknowledged } = await publisher.publish(rows);
    const broker = new Map(
      fake.accepted.map((a) => [
        a.message.headers?.['outbox-id']?.toString(),
        { partition: a.partition, offset: a.offset },
      ]),
    );
    expect(new Map(ids(rows).map((id) => [id, acknowledged.get(id)]))).toEqual(
      new Map(ids(rows).map((id) => [id, broker.get(id)])),
    );
  });

  it('blames no row and reports the broker unavailable, without isolating, when it is down', async () => {
    const { fake, publisher } = await started();
    const rows = [...conversation(2), ...conversation(1)];
    fake.brokerDown();
    const result = await publisher.publish(rows);
    expect(result.failures).toEqual(new Map());
    expect(result.acknowledged).toEqual(new Map());
    expect(result.unavailable).toContain('KafkaJSConnectionError');
    expect(fake.sends.count).toBe(1);
  });

  it('blames only the row that is too large, as permanent, and holds back the rest of its conversation', async () => {
    const { fake, publisher } = await started();
    const [first, tooLarge, after] = conversation(3);
    fake.rejectAsTooLarge(tooLarge!.id);
    const { failures, acknowledged } = await publisher.publish([first!, tooLarge!, after!]);
    expect(acknowledged.has(first!.id)).toBe(true);
    expect(failures.get(tooLarge!.id)).toEqual({
      permanent: true,
      error: expect.stringContaining('MESSAGE_TOO_LARGE'),
    });
    expect(failures.get(after!.id)).toEqual({ permanent: false, error: 'held back behind an earlier failure' });
    expect(failures.has(first!.id)).toBe(false);
  });

  it('still delivers other conversations when one row of the batch is rejected', async () => {
    const { fake, publisher } = await started();
    const broken = conversation(1);
    const healthy = conversation(2);
    fake.rejectAsTooLarge(broken[0]!.id);
    const { failures } = await publisher.publish([...broken, ...healthy]);
    expect([...failures.keys()]).toEqual(ids(broken));
    expect(acceptedIds(fake)).toEqual(ids(healthy));
  });

  it('publishes the payload as the outbox stored it, byte for byte, inside the envelope', async () => {
    const { fake, publisher } = await started();
    const [row] = conversation(1);
    const stored = JSON.stringify(anEnvelope().payload, null, 1);
    await publisher.publish([{ ...row!, payloadJson: stored }]);
    const value = String(fake.accepted[0]?.message.value);
    expect(value.endsWith(`,"payload":${stored}}`)).toBe(true);
    expect(decodeEnvelope(value).ok).toBe(true);
  });
});

describe('kafka publisher after a broker restart', () => {
  it('reports stale producer state as the broker being unavailable (no attempts) and replaces the producer for the next send', async () => {
    const { fake, publisher } = await started();
    fake.forgetProducerState();
    const rows = conversation(2);
    const first = await publisher.publish(rows);
    expect(first.unavailable).toMatch(/OUT_OF_ORDER_SEQUENCE_NUMBER/);
    expect(first.failures.size).toBe(0);
    expect(fake.producersCreated.count).toBe(2);
    const second = await publisher.publish(rows);
    expect(second.unavailable).toBeUndefined();
    expect([...second.acknowledged.keys()]).toEqual(ids(rows));
  });
});
