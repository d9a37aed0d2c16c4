import { decodeEnvelope } from '../../src/domain/chat-message-envelope';
import { anEnvelope } from '../support/builders';

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
    const envelope = anEnvelope({ seq: 7 }, { role: 'assistant', model: 'gpt', promptTokens: 3, completionTokens: 0, reasoning: 'why', partial: true });
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
  const { decodeEnvelope } = jest.requireActual<typeof import('../../src/domain/chat-message-envelope')>('../../src/domain/chat-message-envelope');
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
