import type { OutboxMessage } from './outbox-message';

/**
 * The chat message's wire format, owned here alone (docs/envelope.md describes it): the payload
 * a writer commits, the versioned Kafka record the relay publishes around it, and the decoder
 * the history consumer trusts. Decoding is total: anything that does not match is a reason,
 * never an exception, so a poison record is recorded and skipped instead of blocking its partition.
 */
export const CHAT_MESSAGE_CREATED = 'chat.message.created';
export const ENVELOPE_VERSION = 1;

/** Record headers, readable without parsing the value (the consumer marks the outbox row by `outbox-id`). */
export const ENVELOPE_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  outboxId: 'outbox-id',
} as const;

export type ChatRole = 'user' | 'assistant';

export type ChatMessagePayload = {
  readonly messageId: string;
  readonly role: ChatRole;
  readonly content: string;
  readonly reasoning: string | null;
  readonly model: string | null;
  readonly promptTokens: number | null;
  readonly completionTokens: number | null;
  /** True when generation failed part-way and this is what was produced. */
  readonly partial: boolean;
};

export interface ChatMessageEnvelope {
  readonly schemaVersion: typeof ENVELOPE_VERSION;
  readonly eventId: string;
  readonly eventType: typeof CHAT_MESSAGE_CREATED;
  readonly conversationId: string;
  readonly seq: number;
  /** The conversation's time for the message: history keeps it, never the consume time. */
  readonly occurredAt: string;
  readonly payload: ChatMessagePayload;
}

/** A message as a writer describes it; what it leaves out takes the wire's default. */
export type ChatMessageFields = Pick<ChatMessagePayload, 'role' | 'content'> &
  Partial<Omit<ChatMessagePayload, 'messageId' | 'role' | 'content'>>;

/** The payload of one message. Its key order is the order of the bytes stored in the outbox and published. */
export const chatMessagePayload = (messageId: string, message: ChatMessageFields): ChatMessagePayload => ({
  messageId,
  role: message.role,
  content: message.content,
  reasoning: message.reasoning ?? null,
  model: message.model ?? null,
  promptTokens: message.promptTokens ?? null,
  completionTokens: message.completionTokens ?? null,
  partial: message.partial ?? false,
});

/** An outbox row as the relay publishes it: the payload is the JSON text the outbox stored. */
export type EnvelopeSource = Pick<
  OutboxMessage,
  'id' | 'eventId' | 'eventType' | 'aggregateId' | 'aggregateSeq' | 'createdAt' | 'headers' | 'payloadJson'
>;

export interface EncodedRecord {
  /** The conversation id: one conversation stays on one partition, in order. */
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/**
 * The Kafka record for an outbox row. The stored payload text is spliced into the envelope as it
 * is, never parsed and serialised again; the value is byte for byte what JSON.stringify of the
 * whole envelope would give. The row's own headers (traceparent) go first, so they cannot
 * override the envelope's.
 */
export const encodeEnvelope = (row: EnvelopeSource): EncodedRecord => {
  const head = JSON.stringify({
    schemaVersion: ENVELOPE_VERSION,
    eventId: row.eventId,
    eventType: row.eventType,
    conversationId: row.aggregateId,
    seq: row.aggregateSeq,
    occurredAt: row.createdAt.toISOString(),
  });
  return {
    key: row.aggregateId,
    value: `${head.slice(0, -1)},"payload":${row.payloadJson}}`,
    headers: {
      ...row.headers,
      [ENVELOPE_HEADERS.eventId]: row.eventId,
      [ENVELOPE_HEADERS.eventType]: row.eventType,
      [ENVELOPE_HEADERS.schemaVersion]: String(ENVELOPE_VERSION),
      [ENVELOPE_HEADERS.outboxId]: row.id,
    },
  };
};

export type DecodeResult = { ok: true; envelope: ChatMessageEnvelope } | { ok: false; reason: string };

/** Storage limits of history columns: a record beyond them could never be persisted, so it is poison, not a retry. */
export const HISTORY_LIMITS = { textBytes: 16_777_215, modelLength: 100, tokenCount: 4_294_967_295 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown) =>
  value === null ||
  (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= HISTORY_LIMITS.tokenCount);
const isNullableString = (value: unknown) => value === null || typeof value === 'string';
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;
const tooLong = (value: unknown) =>
  typeof value === 'string' &&
  value.length * 3 > HISTORY_LIMITS.textBytes &&
  utf8Bytes(value) > HISTORY_LIMITS.textBytes;

const payloadProblem = (payload: unknown): string | undefined => {
  if (!isObject(payload)) return 'payload is not an object';
  if (typeof payload['messageId'] !== 'string' || !UUID.test(payload['messageId']))
    return 'payload.messageId is not a UUID';
  if (payload['role'] !== 'user' && payload['role'] !== 'assistant') return 'payload.role is not user or assistant';
  if (typeof payload['content'] !== 'string') return 'payload.content is not a string';
  if (!isNullableString(payload['reasoning']) || !isNullableString(payload['model']))
    return 'payload.reasoning/model must be strings or null';
  if (!isCount(payload['promptTokens']) || !isCount(payload['completionTokens']))
    return 'payload token counts must be non-negative integers or null';
  if (typeof payload['partial'] !== 'boolean') return 'payload.partial is not a boolean';
  if (tooLong(payload['content']) || tooLong(payload['reasoning']))
    return 'payload text exceeds the history column size';
  if (typeof payload['model'] === 'string' && payload['model'].length > HISTORY_LIMITS.modelLength)
    return 'payload.model is too long';
  return undefined;
};

const envelopeProblem = (value: unknown): string | undefined => {
  if (!isObject(value)) return 'envelope is not a JSON object';
  if (value['schemaVersion'] !== ENVELOPE_VERSION) return `unsupported schemaVersion ${String(value['schemaVersion'])}`;
  if (value['eventType'] !== CHAT_MESSAGE_CREATED) return `unknown eventType ${String(value['eventType'])}`;
  if (typeof value['eventId'] !== 'string' || !UUID.test(value['eventId'])) return 'eventId is not a UUID';
  if (typeof value['conversationId'] !== 'string' || !UUID.test(value['conversationId']))
    return 'conversationId is not a UUID';
  if (!Number.isInteger(value['seq']) || (value['seq'] as number) < 1) return 'seq is not a positive integer';
  if (typeof value['occurredAt'] !== 'string' || Number.isNaN(Date.parse(value['occurredAt'])))
    return 'occurredAt is not a timestamp';
  return payloadProblem(value['payload']);
};

/** Decodes a record's value; schema version 1 is the only one ever published, any other is poison. */
export const decodeEnvelope = (raw: string | null): DecodeResult => {
  if (raw === null) return { ok: false, reason: 'record has no value' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const problem = envelopeProblem(value);
  return problem ? { ok: false, reason: problem } : { ok: true, envelope: value as ChatMessageEnvelope };
};
