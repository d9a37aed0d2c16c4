import type { PersistHistoryBatch } from '../../application/persist-history-batch.use-case';
import type { Tracer } from '../../domain/ports/tracer';
import type { AppTracer } from './otel-tracer';

/** What the consumer's spans need of a Kafka batch (no kafkajs types past the consumer). */
export interface TracedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly groupId: string;
  readonly messages: readonly { readonly offset: string; readonly traceparent?: string; readonly eventId?: string }[];
}

/**
 * One Kafka batch as a `process <topic>` trace of its own (linked to every message's publish
 * span), and per message a `history persist` span, child of the publish span its header names
 * and linked to the batch: it ends when the batch's offset is handed to the committer, failed when the
 * batch was given up (it is delivered again, and then persisted).
 */
export const traceHistoryBatch = async <T extends string>(
  tracer: AppTracer,
  batch: TracedBatch,
  work: () => Promise<T>,
): Promise<T> => {
  if (!tracer.enabled || batch.messages.length === 0) return work();
  const kafka = {
    'messaging.system': 'kafka',
    'messaging.destination.name': batch.topic,
    'messaging.destination.partition.id': String(batch.partition),
    'messaging.consumer.group.name': batch.groupId,
  };
  return tracer.inSpan(
    `process ${batch.topic}`,
    {
      root: true,
      kind: 'consumer',
      links: batch.messages.map((m) => m.traceparent),
      attributes: {
        ...kafka,
        'messaging.operation.type': 'process',
        'messaging.batch.message_count': batch.messages.length,
      },
    },
    async (span) => {
      const spans = batch.messages.map((message) =>
        tracer.startSpan('history persist', {
          kind: 'consumer',
          parent: message.traceparent,
          links: [span.traceparent],
          attributes: {
            ...kafka,
            'messaging.operation.type': 'process',
            'messaging.kafka.offset': Number(message.offset),
            'messaging.message.id': message.eventId,
          },
        }),
      );
      try {
        const outcome = await work();
        span.setAttributes({ 'agent_relay.history.outcome': outcome });
        if (outcome !== 'committed') spans.forEach((s) => s.fail(new Error(`batch ${outcome}: it is delivered again`)));
        return outcome;
      } catch (error) {
        spans.forEach((s) => s.fail(error));
        throw error;
      } finally {
        spans.forEach((s) => s.end());
      }
    },
  );
};

/** Each attempt at the batch's one database transaction, inside the batch's span. */
export const traceHistoryTransaction = (tracer: Tracer, persist: PersistHistoryBatch): PersistHistoryBatch => {
  if (!tracer.enabled) return persist;
  return (records) =>
    tracer.inSpan(
      'history transaction',
      { attributes: { 'agent_relay.history.records': records.length } },
      async (span) => {
        const summary = await persist(records);
        span.setAttributes({
          'agent_relay.history.inserted': summary.inserted,
          'agent_relay.history.duplicates': summary.duplicates,
          'agent_relay.history.poison': summary.poison,
        });
        return summary;
      },
    );
};
