import { createPublishingGate } from '../../src/application/publishing-gate';
import { createRelayBatch, type RelayBatchDeps } from '../../src/application/relay-batch.use-case';
import { systemClock } from '../../src/domain/ports/clock';
import type { KafkaClient } from '../../src/infra/kafka/create-kafka';
import { createKafkaPublisher } from '../../src/infra/kafka/kafka-publisher';
import type { PipelineFixture } from './pipeline-fixture';

/**
 * One relay round against the real broker and the fixture's outbox: a started kafkajs
 * publisher, a publishing gate with short probes, and the use case on the fixture's store.
 * Stop it to close the producer.
 */
export const startRealRelay = async (
  f: Pick<PipelineFixture, 'store' | 'logger'>,
  kafka: KafkaClient,
  options: { owner: string; batchSize: number; policy?: RelayBatchDeps['policy'] },
) => {
  const publisher = createKafkaPublisher({ kafka, logger: f.logger });
  await publisher.start();
  const probes = { baseMs: 20, capMs: 100 };
  const gate = createPublishingGate({ clock: systemClock, policy: probes, observe: () => undefined });
  const run = createRelayBatch({
    store: f.store,
    publisher,
    clock: systemClock,
    policy: options.policy ?? probes,
    gate,
    owner: options.owner,
    batchSize: options.batchSize,
    leaseMs: 30_000,
  });
  return { run, gate, stop: () => publisher.stop() };
};
