import { Writable } from 'node:stream';
import { createLogger, scrubUrlCredentials } from '../../src/infra/logger';

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'info' }, {}, stream), text: () => lines.join('') };
};

/** What the mariadb driver and MikroORM throw for a failed statement (fields as observed on a real TableNotFoundException). */
const ormError = () => {
  const statement = "insert into chat_messages (content) values ('SECRET CHAT CONTENT')";
  const error = new Error(
    `${statement} - (conn:449, no: 1146, SQLState: 42S02) Table 'x' doesn't exist\nsql: ${statement} - parameters:['SECRET CHAT CONTENT']`,
  );
  return Object.assign(error, {
    name: 'TableNotFoundException',
    sqlMessage: "Table 'x' doesn't exist",
    sql: `${statement} - parameters:[]`,
    code: 'ER_NO_SUCH_TABLE',
  });
};

/**
 * What MikroORM's MySQL driver throws for a failed statement: mysql2's error (code, errno, sqlState,
 * sqlMessage, and `sql` with the values inlined) converted by MikroORM, its message prefixed by
 * knex with the statement (fields as observed on a real TableNotFoundException through mysql2).
 */
const mysql2Error = () => {
  const statement = "insert into chat_messages (content) values ('SECRET CHAT CONTENT')";
  const sqlMessage = "Table 'agent_relay.chat_messages' doesn't exist";
  const error = new Error(`${statement} - ${sqlMessage}`);
  return Object.assign(error, {
    name: 'TableNotFoundException',
    code: 'ER_NO_SUCH_TABLE',
    errno: 1146,
    sqlState: '42S02',
    sqlMessage,
    sql: statement,
  });
};

/** A connection lost mid-query through mysql2: no `sql` or `sqlMessage`, but knex still prefixes the statement. */
const mysql2ConnectionLost = () =>
  Object.assign(
    new Error(
      "update chat_turns set content = 'SECRET - CHAT - CONTENT' where id = 1 - Connection lost: The server closed the connection.",
    ),
    { code: 'PROTOCOL_CONNECTION_LOST', fatal: true },
  );

describe('logger redaction', () => {
  it('censors authorization headers, connection params, tokens and API keys wherever they sit', () => {
    const { logger, text } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer eyJSECRET' } },
        connectionParams: { authorization: 'Bearer eyJWS' },
        token: 'tok-SECRET',
        llm: { apiKey: 'sk-SECRET' },
      },
      'request',
    );
    expect(text()).not.toMatch(/SECRET|eyJWS/);
    expect(text()).toContain('[redacted]');
  });

  it('logs a database error by the driver sentence, without its statement or parameters (chat content)', () => {
    const { logger, text } = capture();
    logger.error({ err: ormError() }, 'write failed');
    expect(text()).not.toContain('SECRET CHAT CONTENT');
    expect(JSON.parse(text()).err).toMatchObject({ message: "Table 'x' doesn't exist", code: 'ER_NO_SUCH_TABLE' });
  });

  it('keeps a wrapped database error cause free of its statement too', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('append failed', { cause: ormError() }) }, 'write failed');
    expect(text()).not.toContain('SECRET CHAT CONTENT');
  });

  it('logs a MySQL driver (mysql2) error by its sentence, without its statement or values', () => {
    const { logger, text } = capture();
    logger.error({ err: mysql2Error() }, 'write failed');
    expect(text()).not.toContain('SECRET CHAT CONTENT');
    expect(JSON.parse(text()).err).toMatchObject({
      message: "Table 'agent_relay.chat_messages' doesn't exist",
      code: 'ER_NO_SUCH_TABLE',
      sqlState: '42S02',
    });
  });

  it('keeps a wrapped MySQL driver error cause free of its statement too, in message and stack', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('append failed', { cause: mysql2Error() }) }, 'write failed');
    expect(text()).not.toContain('SECRET CHAT CONTENT');
    const { err } = JSON.parse(text()) as { err: { message: string; stack: string } };
    expect(err.message).toBe("append failed: [sql omitted] - Table 'agent_relay.chat_messages' doesn't exist");
    expect(err.stack).toContain("caused by: TableNotFoundException: [sql omitted] - Table 'agent_relay.chat_messages'");
  });

  it('drops the statement knex puts before a driver error that has no sql field (a lost connection)', () => {
    for (const err of [mysql2ConnectionLost(), new Error('append failed', { cause: mysql2ConnectionLost() })]) {
      const { logger, text } = capture();
      logger.error({ err }, 'write failed');
      expect(text()).not.toMatch(/SECRET|CHAT - CONTENT/);
      expect(JSON.parse(text()).err.message).toMatch(
        /\[sql omitted\] - Connection lost: The server closed the connection\.$/,
      );
    }
  });

  it('leaves messages that only look like SQL alone', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('Update failed - retry later') }, 'oops');
    expect(JSON.parse(text()).err.message).toBe('Update failed - retry later');
  });

  it('removes passwords from URLs inside error messages and stacks', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('connect failed to https://org:sk-PASSWORD@llm.example.com/v1') }, 'model down');
    expect(text()).not.toContain('sk-PASSWORD');
    expect(scrubUrlCredentials('redis://:hunter2@h:6379 and mariadb://u:p4ss@db/x')).toBe(
      'redis://:***@h:6379 and mariadb://u:***@db/x',
    );
  });
});
