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

  it('removes passwords from URLs inside error messages and stacks', () => {
    const { logger, text } = capture();
    logger.error({ err: new Error('connect failed to https://org:sk-PASSWORD@llm.example.com/v1') }, 'model down');
    expect(text()).not.toContain('sk-PASSWORD');
    expect(scrubUrlCredentials('redis://:hunter2@h:6379 and mariadb://u:p4ss@db/x')).toBe(
      'redis://:***@h:6379 and mariadb://u:***@db/x',
    );
  });
});
