import { randomUUID } from 'node:crypto';
import type { NewChatMessage } from '../../src/application/append-chat-messages.use-case';
import {
  CHAT_MESSAGE_CREATED,
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_VERSION,
  type ChatMessageEnvelope,
} from '../../src/domain/chat-message-envelope';
import type { ChatTurn } from '../../src/domain/chat/chat-types';
import type { OutboxMessage } from '../../src/domain/outbox-message';
import { NO_TIME_SQL } from '../../src/tooling';

/** Object mothers: valid random defaults, overridden only where a test cares. */
/** A chat message as an envelope carries it (and a committed message's look-up returns it). */
export const aMessagePayload = (
  overrides: Partial<ChatMessageEnvelope['payload']> = {},
): ChatMessageEnvelope['payload'] => ({
  messageId: randomUUID(),
  role: 'user',
  content: 'hi',
  reasoning: null,
  model: null,
  promptTokens: null,
  completionTokens: null,
  partial: false,
  ...overrides,
});

/** A turn still awaiting its reply. */
export const aChatTurn = (overrides: Partial<ChatTurn> = {}): ChatTurn => ({
  replyId: randomUUID(),
  userId: 'u1',
  conversationId: randomUUID(),
  clientMessageId: null,
  userMessageId: 'm',
  userSeq: 1,
  contentSha256: 'x',
  model: 'WORKER',
  thinking: false,
  traceparent: null,
  status: 'AWAITING',
  createdAt: new Date(),
  ...overrides,
});

export const aChatMessage = (overrides: Partial<NewChatMessage> = {}): NewChatMessage => ({
  role: 'user',
  content: `hello ${randomUUID().slice(0, 8)}`,
  ...overrides,
});

export const anEnvelope = (
  overrides: Partial<ChatMessageEnvelope> = {},
  payload: Partial<ChatMessageEnvelope['payload']> = {},
): ChatMessageEnvelope => ({
  schemaVersion: ENVELOPE_VERSION,
  eventId: randomUUID(),
  eventType: CHAT_MESSAGE_CREATED,
  conversationId: randomUUID(),
  seq: 1,
  occurredAt: new Date().toISOString(),
  ...overrides,
  payload: aMessagePayload(payload),
});

let nextId = 1;
export const anOutboxMessage = (overrides: Partial<OutboxMessage> = {}): OutboxMessage => ({
  id: String(nextId++),
  eventId: randomUUID(),
  aggregateId: randomUUID(),
  aggregateSeq: 1,
  eventType: CHAT_MESSAGE_CREATED,
  topic: 'test-topic',
  payloadJson: '{}',
  headers: {},
  status: 'PENDING',
  attempts: 0,
  maxAttempts: 5,
  nextAttemptAt: new Date(),
  lastError: null,
  createdAt: new Date(),
  ...overrides,
});

/** The envelope a consumer decodes from a row as the relay publishes it. */
export const envelopeOfRow = (row: OutboxMessage): ChatMessageEnvelope => {
  const decoded = decodeEnvelope(encodeEnvelope(row).value);
  if (!decoded.ok) throw new Error(`row ${row.id} does not encode a chat message: ${decoded.reason}`);
  return decoded.envelope;
};

/**
 * The three outbox times a hand-written INSERT must name (they have no column default, migration
 * 20261207150000): a row never claimed, published or consumed.
 */
export const NEVER_STAMPED = {
  columns: 'claim_expires_at, published_at, consumed_at',
  values: [NO_TIME_SQL, NO_TIME_SQL, NO_TIME_SQL].join(', '),
};
