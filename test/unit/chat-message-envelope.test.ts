import { randomUUID } from 'node:crypto';
import {
  CHAT_MESSAGE_CREATED,
  chatMessagePayload,
  decodeEnvelope,
  encodeEnvelope,
  ENVELOPE_VERSION,
} from '../../src/domain/chat-message-envelope';
import { anEnvelope, anOutboxMessage } from '../support/builders';

/** A valid envelope as JSON, with top-level or payload fields replaced (undefined drops a field). */
const encoded = (top: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => {
  const envelope = anEnvelope();
  return JSON.stringify({ ...envelope, ...top, payload: { ...envelope.payload, ...payload } });
};

const reasonFor = (raw: string | null) => {
  const result = decodeEnvelope(raw);
  if (result.ok) throw new Error('expected the record to be rejected');
  return result.reason;
};

describe('decodeEnvelope', () => {
  it('accepts a valid envelope and returns it unchanged', () => {
    const envelope = anEnvelope(
      { seq: 7 },
      { role: 'assistant', model: 'gpt', promptTokens: 3, completionTokens: 0, reasoning: 'why', partial: true },
    );
    expect(decodeEnvelope(JSON.stringify(envelope))).toEqual({ ok: true, envelope });
  });

  it('rejects a record without a value', () => {
    expect(reasonFor(null)).toBe('record has no value');
  });

  it('rejects a value that is not JSON', () => {
    expect(reasonFor('{"schemaVersion": 1,')).toBe('value is not JSON');
  });

  it.each([
    ['null', 'null'],
    ['an array', '[1, 2]'],
    ['a string', '"chat"'],
  ])('rejects JSON that is %s rather than an object', (_, raw) => {
    expect(reasonFor(raw)).toBe('envelope is not a JSON object');
  });

  it.each([2, '1', undefined])('rejects schemaVersion %p', (schemaVersion) => {
    expect(reasonFor(encoded({ schemaVersion }))).toMatch(/^unsupported schemaVersion/);
  });

  it('rejects an unknown eventType, naming it', () => {
    expect(reasonFor(encoded({ eventType: 'chat.message.deleted' }))).toBe('unknown eventType chat.message.deleted');
  });

  it('rejects an eventId that is not a UUID', () => {
    expect(reasonFor(encoded({ eventId: 'evt-1' }))).toBe('eventId is not a UUID');
  });

  it('rejects a conversationId that is not a UUID', () => {
    expect(reasonFor(encoded({ conversationId: 42 }))).toBe('conversationId is not a UUID');
  });

  it.each([0, -1, 1.5, '3'])('rejects seq %p', (seq) => {
    expect(reasonFor(encoded({ seq }))).toBe('seq is not a positive integer');
  });

  it('rejects an occurredAt that is not a timestamp', () => {
    expect(reasonFor(encoded({ occurredAt: 'yesterday' }))).toBe('occurredAt is not a timestamp');
  });

  it('rejects a payload that is not an object', () => {
    expect(reasonFor(JSON.stringify({ ...anEnvelope(), payload: 'hi' }))).toBe('payload is not an object');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['messageId', { messageId: 'm-1' }, 'payload.messageId is not a UUID'],
    ['role', { role: 'system' }, 'payload.role is not user or assistant'],
    ['content', { content: 12 }, 'payload.content is not a string'],
    ['reasoning', { reasoning: 1 }, 'payload.reasoning/model must be strings or null'],
    ['model', { model: undefined }, 'payload.reasoning/model must be strings or null'],
    ['promptTokens', { promptTokens: -1 }, 'payload token counts must be non-negative integers or null'],
    ['completionTokens', { completionTokens: 2.5 }, 'payload token counts must be non-negative integers or null'],
    ['partial', { partial: 'no' }, 'payload.partial is not a boolean'],
  ])('rejects a bad payload.%s with its reason', (_, payload, reason) => {
    expect(reasonFor(encoded({}, payload))).toBe(reason);
  });
});

describe('decodeEnvelope against history storage limits', () => {
  const { decodeEnvelope } = jest.requireActual<typeof import('../../src/domain/chat-message-envelope')>(
    '../../src/domain/chat-message-envelope',
  );
  const { anEnvelope } = jest.requireActual<typeof import('../support/builders')>('../support/builders');

  it('treats a model name longer than its column as poison', () => {
    const result = decodeEnvelope(JSON.stringify(anEnvelope({}, { model: 'm'.repeat(101) })));
    expect(result).toEqual({ ok: false, reason: 'payload.model is too long' });
  });

  it('treats token counts beyond an unsigned int as poison', () => {
    const result = decodeEnvelope(JSON.stringify(anEnvelope({}, { promptTokens: 2 ** 32 })));
    expect(result.ok).toBe(false);
  });

  it('treats content beyond a MEDIUMTEXT as poison', () => {
    const result = decodeEnvelope(JSON.stringify(anEnvelope({}, { content: 'é'.repeat(8_388_608) })));
    expect(result).toEqual({ ok: false, reason: 'payload text exceeds the history column size' });
  });
});

describe('encodeEnvelope', () => {
  const payload = chatMessagePayload(randomUUID(), {
    role: 'assistant',
    content: 'héllo "you"\n',
    model: 'gpt',
    promptTokens: 3,
    completionTokens: 0,
  });
  const row = anOutboxMessage({
    aggregateSeq: 4,
    createdAt: new Date('2026-11-28T13:00:00.123Z'),
    payloadJson: JSON.stringify(payload),
    headers: { traceparent: 't' },
  });

  it('round-trips: the consumer decodes exactly the message the writer committed', () => {
    const envelope = {
      schemaVersion: ENVELOPE_VERSION,
      eventId: row.eventId,
      eventType: CHAT_MESSAGE_CREATED,
      conversationId: row.aggregateId,
      seq: 4,
      occurredAt: '2026-11-28T13:00:00.123Z',
      payload,
    };
    expect(decodeEnvelope(encodeEnvelope(row).value)).toEqual({ ok: true, envelope });
  });

  it('writes the same bytes as serialising the whole envelope, with the stored payload text inside unchanged', () => {
    const { value } = encodeEnvelope(row);
    expect(value).toBe(
      JSON.stringify({
        schemaVersion: 1,
        eventId: row.eventId,
        eventType: CHAT_MESSAGE_CREATED,
        conversationId: row.aggregateId,
        seq: 4,
        occurredAt: '2026-11-28T13:00:00.123Z',
        payload,
      }),
    );
    const spaced = JSON.stringify(payload, null, 2);
    expect(encodeEnvelope({ ...row, payloadJson: spaced }).value.endsWith(`"payload":${spaced}}`)).toBe(true);
  });

  it('keys by conversation and names version, event and row in headers that the row headers cannot override', () => {
    const record = encodeEnvelope({
      ...row,
      headers: { traceparent: 't', 'outbox-id': 'spoofed', 'schema-version': '9' },
    });
    expect(record.key).toBe(row.aggregateId);
    expect(record.headers).toEqual({
      traceparent: 't',
      'event-id': row.eventId,
      'event-type': CHAT_MESSAGE_CREATED,
      'schema-version': String(ENVELOPE_VERSION),
      'outbox-id': row.id,
    });
  });

  it('leaves a stored payload that is not a chat message to the decoder, which rejects it with its usual reasons', () => {
    expect(decodeEnvelope(encodeEnvelope({ ...row, payloadJson: '{"messageId":' }).value)).toEqual({
      ok: false,
      reason: 'value is not JSON',
    });
    expect(decodeEnvelope(encodeEnvelope({ ...row, payloadJson: '{}' }).value)).toEqual({
      ok: false,
      reason: 'payload.messageId is not a UUID',
    });
    expect(decodeEnvelope(encodeEnvelope({ ...row, eventType: 'order.created' }).value)).toEqual({
      ok: false,
      reason: 'unknown eventType order.created',
    });
  });
});

describe('chatMessagePayload', () => {
  it('fills what the writer left out with the wire defaults, in the stored key order', () => {
    const payload = chatMessagePayload('m-1', { role: 'user', content: 'hi' });
    expect(JSON.stringify(payload)).toBe(
      '{"messageId":"m-1","role":"user","content":"hi","reasoning":null,"model":null,"promptTokens":null,"completionTokens":null,"partial":false}',
    );
  });

  it('keeps only payload fields from a richer object', () => {
    const payload = chatMessagePayload('m-1', {
      role: 'assistant',
      content: 'x',
      partial: true,
      seq: 3,
      id: 'other',
    } as never);
    expect(Object.keys(payload)).toEqual([
      'messageId',
      'role',
      'content',
      'reasoning',
      'model',
      'promptTokens',
      'completionTokens',
      'partial',
    ]);
    expect(payload).toMatchObject({ messageId: 'm-1', partial: true });
  });
});
