import type { AppendChatMessages } from '../../application/append-chat-messages.use-case';
import type { RelayBatchSummary } from '../../application/relay-batch.use-case';
import type { OutboxMessage } from '../../domain/outbox-message';
import type { EventPublisher, PublishResult } from '../../domain/ports/event-publisher';
import type { OutboxRelayStore } from '../../domain/ports/outbox-relay-store';
import type { Tracer } from '../../domain/ports/tracer';
import type { AppTracer, OpenSpan } from './otel-tracer';

/*
 * One message's trace: `mutation SendMessage` → `outbox write` (the writer's unit of work; its
 * traceparent goes into the outbox row and the turn) → `publish <topic>` (the relay's Kafka
 * produce of that row; its traceparent goes into the Kafka header) → `history persist` (the
 * consumer). Batch work (`outbox relay` with `outbox claim` and `send <topic>`, `process <topic>`
 * with `history transaction`) forms traces of its own, linked both ways with the messages'.
 * Every decorator here is applied only when tracing is on.
 */

const KAFKA = { 'messaging.system': 'kafka' } as const;

/** The writer's unit of work: what it writes carries this span's traceparent, so later spans descend from it. */
export const traceWriter = (tracer: Tracer, append: AppendChatMessages): AppendChatMessages => {
  if (!tracer.enabled) return append;
  return (input) =>
    tracer.inSpan(
      'outbox write',
      {
        parent: input.traceparent,
        attributes: {
          'agent_relay.conversation.id': input.conversationId,
          'agent_relay.outbox.messages': input.messages.length,
          'agent_relay.reply.id': input.turn?.replyId ?? input.completesTurn,
        },
      },
      async (span) => {
        const result = await append({ ...input, traceparent: span.traceparent ?? input.traceparent });
        span.setAttributes({
          'agent_relay.outbox.duplicate': result.duplicate ?? false,
          'agent_relay.message.seq': result.messages[0]?.seq,
        });
        return result;
      },
    );
};

/** A relay round (claim, send, ack) as a trace of its own; rounds that claim nothing show claimed = 0. */
export const traceRelayRound = (tracer: Tracer, relayBatch: () => Promise<RelayBatchSummary>) => {
  if (!tracer.enabled) return relayBatch;
  return () =>
    tracer.inSpan('outbox relay', { root: true }, async (span) => {
      const summary = await relayBatch();
      span.setAttributes(
        Object.fromEntries(Object.entries(summary).map(([key, value]) => [`agent_relay.relay.${key}`, value])),
      );
      return summary;
    });
};

/** The claim transaction, inside its round's span. */
export const traceRelayStore = (tracer: Tracer, store: OutboxRelayStore): OutboxRelayStore => {
  if (!tracer.enabled) return store;
  return {
    ...store,
    claim: (input) =>
      tracer.inSpan(
        'outbox claim',
        { attributes: { 'agent_relay.relay.batch_size': input.batchSize } },
        async (span) => {
          const claim = await store.claim(input);
          span.setAttributes({ 'agent_relay.relay.claimed': claim.messages.length });
          return claim;
        },
      ),
  };
};

const publishSpan = (tracer: AppTracer, message: OutboxMessage, batch: string | undefined) =>
  tracer.startSpan(`publish ${message.topic}`, {
    kind: 'producer',
    // A row written without trace context becomes a child of the batch's span.
    parent: message.headers['traceparent'],
    links: [batch],
    attributes: {
      ...KAFKA,
      'messaging.operation.type': 'send',
      'messaging.destination.name': message.topic,
      'messaging.message.id': message.eventId,
      'messaging.kafka.message.key': message.aggregateId,
      'agent_relay.outbox.id': message.id,
      'agent_relay.outbox.attempts': message.attempts,
    },
  });

const endPublishSpan = (span: OpenSpan, message: OutboxMessage, result: PublishResult) => {
  const position = result.acknowledged.get(message.id);
  if (result.acknowledged.has(message.id)) {
    span.setAttributes({
      'messaging.destination.partition.id': position ? String(position.partition) : undefined,
      'messaging.kafka.offset': position?.offset,
    });
  } else {
    span.fail(
      new Error(result.failures.get(message.id)?.error ?? `not sent: ${result.unavailable ?? 'broker unavailable'}`),
    );
  }
  span.end();
};

/**
 * The Kafka produce: one `send` span for the batch (linked to every message's writer), and per
 * message a `publish` span, child of the writer span its row carries and linked to the batch.
 * The record's traceparent header is that per-message span, so the consumer's span descends
 * from it; the row itself keeps the writer's, so every attempt is a sibling under the write.
 */
export const tracePublisher = (tracer: AppTracer, publisher: EventPublisher): EventPublisher => {
  if (!tracer.enabled) return publisher;
  return {
    publish: (messages) =>
      tracer.inSpan(
        `send ${messages[0]?.topic ?? ''}`,
        {
          kind: 'producer',
          links: messages.map((m) => m.headers['traceparent']),
          attributes: {
            ...KAFKA,
            'messaging.operation.type': 'send',
            'messaging.destination.name': messages[0]?.topic,
            'messaging.batch.message_count': messages.length,
          },
        },
        async (batch) => {
          const spans = messages.map((message) => publishSpan(tracer, message, batch.traceparent));
          const outgoing = messages.map((message, index) => {
            const traceparent = spans[index]?.traceparent;
            return traceparent ? { ...message, headers: { ...message.headers, traceparent } } : message;
          });
          let result: PublishResult;
          try {
            result = await publisher.publish(outgoing);
          } catch (error) {
            spans.forEach((span) => (span.fail(error), span.end()));
            throw error;
          }
          messages.forEach((message, index) => spans[index] && endPublishSpan(spans[index], message, result));
          batch.setAttributes({
            'agent_relay.relay.acknowledged': result.acknowledged.size,
            'agent_relay.relay.failed': result.failures.size,
            'agent_relay.relay.unavailable': result.unavailable,
          });
          return result;
        },
      ),
  };
};
