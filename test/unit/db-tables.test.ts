import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { UnderscoreNamingStrategy, type EntitySchema } from '@mikro-orm/core';
import { ChatMessageSchema } from '../../src/infra/db/entities/chat-message.entity';
import { ChatTurnSchema } from '../../src/infra/db/entities/chat-turn.entity';
import { ConversationSchema } from '../../src/infra/db/entities/conversation.entity';
import { OutboxMessageSchema } from '../../src/infra/db/entities/outbox-message.entity';
import {
  CHAT_MESSAGE_COLUMNS,
  CHAT_MESSAGE_INSERT_COLUMNS,
  toChatMessageValues,
  toMessageView,
  type ChatMessageRow,
} from '../../src/infra/db/tables/chat-messages.table';
import { CHAT_TURN_COLUMNS, toChatTurn } from '../../src/infra/db/tables/chat-turns.table';
import { CONVERSATION_COLUMNS, toConversationView } from '../../src/infra/db/tables/conversations.table';
import {
  OUTBOX_COLUMNS,
  OUTBOX_RECORD_COLUMNS,
  toOutboxMessage,
  toOutboxRecord,
  type OutboxRecordRow,
} from '../../src/infra/db/tables/outbox-messages.table';
import { fromDatetime } from '../../src/infra/db/tables/datetime';
import { anEnvelope } from '../support/builders';

/** Column names in a select list: `expr AS alias` names its alias; backticks are quoting. */
const columnsOf = (list: string | readonly string[]) =>
  (typeof list === 'string' ? list.split(/,(?![^(]*\))/) : list).map((column) =>
    column.trim().split(/\s+/).pop()!.replace(/`/g, ''),
  );

const schemaColumns = (schema: EntitySchema) => {
  const naming = new UnderscoreNamingStrategy();
  return Object.keys(schema.meta.properties).map((property) => naming.propertyToColumnName(property));
};

describe('table modules', () => {
  it.each([
    ['outbox_messages (relay)', OUTBOX_COLUMNS, OutboxMessageSchema],
    ['outbox_messages (ops)', OUTBOX_RECORD_COLUMNS, OutboxMessageSchema],
    ['chat_messages (insert)', CHAT_MESSAGE_INSERT_COLUMNS, ChatMessageSchema],
    ['chat_messages (read)', CHAT_MESSAGE_COLUMNS, ChatMessageSchema],
    ['conversations', CONVERSATION_COLUMNS, ConversationSchema],
    ['chat_turns', CHAT_TURN_COLUMNS, ChatTurnSchema],
  ] as const)('name only columns the %s entity defines, each once', (_, list, schema) => {
    const columns = columnsOf(list);
    expect(schemaColumns(schema as EntitySchema)).toEqual(expect.arrayContaining(columns));
    expect(new Set(columns).size).toBe(columns.length);
  });

  it('the history insert names every chat_messages column', () => {
    expect([...columnsOf(CHAT_MESSAGE_INSERT_COLUMNS)].sort()).toEqual(schemaColumns(ChatMessageSchema).sort());
  });
});

describe('outbox_messages rows', () => {
  const row: OutboxRecordRow = {
    id: 42n,
    event_id: randomUUID(),
    aggregate_id: randomUUID(),
    aggregate_seq: 3,
    event_type: 'chat.message.created',
    topic: 't',
    payload: '{"content": "as stored"}',
    headers: '{"traceparent":"tp"}',
    status: 'PUBLISHED',
    attempts: 1,
    max_attempts: 5,
    next_attempt_at: new Date('2026-01-01T00:00:00Z'),
    last_error: null,
    created_at: new Date('2026-01-01T00:00:01Z'),
    published_at: new Date('2026-01-01T00:00:02Z'),
    consumed_at: new Date(0),
    dead_at: null,
    replayed_by: 'ops',
    replayed_at: new Date('2026-01-01T00:00:03Z'),
    replay_reason: null,
    discarded_by: null,
    discarded_at: null,
    discard_reason: null,
    kafka_partition: 2,
    kafka_offset: 9007199254740993n,
  };

  it('map to the relay message with the payload text untouched and JSON headers parsed', () => {
    expect(toOutboxMessage(row)).toEqual({
      id: '42',
      eventId: row.event_id,
      aggregateId: row.aggregate_id,
      aggregateSeq: 3,
      eventType: 'chat.message.created',
      topic: 't',
      payloadJson: '{"content": "as stored"}',
      headers: { traceparent: 'tp' },
      status: 'PUBLISHED',
      attempts: 1,
      maxAttempts: 5,
      nextAttemptAt: row.next_attempt_at,
      lastError: null,
      createdAt: row.created_at,
    });
  });

  it('map to the ops record under the names ops use, with the payload parsed and 64-bit offsets as text', () => {
    expect(toOutboxRecord(row)).toEqual(
      expect.objectContaining({
        id: '42',
        conversationId: row.aggregate_id,
        seq: 3,
        payload: { content: 'as stored' },
        headers: { traceparent: 'tp' },
        publishedAt: row.published_at,
        consumedAt: null,
        replayedBy: 'ops',
        replayedAt: row.replayed_at,
        kafkaPartition: 2,
        kafkaOffset: '9007199254740993',
      }),
    );
    // The columns the relay rewrites hold no NULL: -1 is an unknown position, '-1' as the driver may send it.
    expect(toOutboxRecord({ ...row, kafka_partition: -1, kafka_offset: '-1' })).toMatchObject({
      kafkaPartition: null,
      kafkaOffset: null,
    });
    expect(toOutboxRecord({ ...row, published_at: new Date(0) }).publishedAt).toBeNull();
  });

  it('read DATETIME text as UTC, and the epoch as never, in a process whose time zone is not UTC', () => {
    // The ORM's connections hand DATETIME over as UTC text. Jest's process.env is a copy, so the
    // zone is set for a child process that runs the mappers and prints what they read.
    const script = `
      const { toOutboxRecord } = require('./src/infra/db/tables/outbox-messages.table.ts');
      const { toConversationView } = require('./src/infra/db/tables/conversations.table.ts');
      const text = '2026-12-07 10:00:00.123';
      const record = toOutboxRecord({ ...${JSON.stringify({ ...row, id: String(row.id), kafka_offset: String(row.kafka_offset) })}, published_at: text, consumed_at: '1970-01-01 00:00:00.000', next_attempt_at: text, created_at: text });
      const conversation = toConversationView({ id: 'c', user_id: 'u', created_at: text, message_count: 0, last_message_at: text });
      console.log(JSON.stringify({
        offset: new Date(text).getTimezoneOffset(),
        read: [record.publishedAt, record.consumedAt, record.nextAttemptAt, record.createdAt, conversation.createdAt, conversation.lastMessageAt],
      }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, TZ: 'America/New_York' },
      encoding: 'utf8',
    });
    const at = '2026-12-07T10:00:00.123Z';
    expect(JSON.parse(out)).toEqual({ offset: 300, read: [at, null, at, at, at, at] });
    expect(fromDatetime(new Date(0))).toEqual(new Date(0));
  });
});

describe('chat_messages rows', () => {
  it('store an envelope so that reading the row back shows the same message', () => {
    const envelope = anEnvelope(
      { seq: 5, occurredAt: '2026-11-28T13:00:00.123Z' },
      { role: 'assistant', reasoning: 'why', model: 'm', promptTokens: 1, completionTokens: 2, partial: true },
    );
    const values = toChatMessageValues(envelope, new Date());
    const stored = Object.fromEntries(
      columnsOf(CHAT_MESSAGE_INSERT_COLUMNS).map((column, i) => [column, values[i]]),
    ) as unknown as ChatMessageRow & { event_id: string; conversation_id: string };
    expect(values).toHaveLength(CHAT_MESSAGE_INSERT_COLUMNS.length);
    expect(stored).toMatchObject({ event_id: envelope.eventId, conversation_id: envelope.conversationId });
    const { messageId, ...payload } = envelope.payload;
    expect(toMessageView(stored)).toEqual({
      id: messageId,
      seq: 5,
      createdAt: new Date(envelope.occurredAt),
      ...payload,
    });
  });

  it('read driver types back as the domain expects them', () => {
    const row = {
      id: 'm',
      seq: '7',
      role: 'user',
      content: 'c',
      reasoning: null,
      model: null,
      prompt_tokens: '4',
      completion_tokens: null,
      partial: 0,
      created_at: '2026-01-01T00:00:00Z',
    };
    expect(toMessageView(row as unknown as ChatMessageRow)).toEqual({
      id: 'm',
      seq: 7,
      role: 'user',
      content: 'c',
      reasoning: null,
      model: null,
      promptTokens: 4,
      completionTokens: null,
      partial: false,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    });
  });
});

describe('conversations and chat_turns rows', () => {
  it('map counters and flags from their driver types', () => {
    expect(
      toConversationView({
        id: 'c',
        user_id: 'u',
        created_at: new Date(0),
        message_count: '3' as never,
        last_message_at: null,
      }),
    ).toEqual({ id: 'c', userId: 'u', createdAt: new Date(0), messageCount: 3, lastMessageAt: null });
    const row = {
      reply_id: 'r',
      user_id: 'u',
      conversation_id: 'c',
      client_message_id: null,
      user_message_id: 'm',
      user_seq: '2',
      content_sha256: 'h',
      model: 'WORKER',
      thinking: 1,
      traceparent: null,
      status: 'REPLIED',
      created_at: new Date(0),
    };
    expect(toChatTurn(row)).toMatchObject({ replyId: 'r', userSeq: 2, thinking: true, status: 'REPLIED' });
    expect(toChatTurn({ ...row, status: 'ANYTHING' }).status).toBe('AWAITING');
  });
});
