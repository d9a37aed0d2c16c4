import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { anEnvelope, NEVER_STAMPED } from '../support/builders';
import { openSql, type Sql } from '../support/sql';
import { testConfig, testEnv } from '../support/test-config';
import { createTestDatabase } from '../support/test-database';

const root = path.resolve(__dirname, '../..');
const exec = promisify(execFile);

describe('npm run outbox (ops CLI)', () => {
  const env = testEnv();
  const config = testConfig(env);
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sql: Sql;

  beforeAll(async () => {
    database = await createTestDatabase(config.db);
    sql = await openSql(config.db);
  });
  afterAll(async () => {
    await sql.close();
    await database.drop();
  });

  const cli = (...args: string[]) =>
    exec(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/outbox.cli.ts', ...args], {
      cwd: root,
      env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv,
    }).then(
      ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => ({
        code: error.code,
        stdout: error.stdout,
        stderr: error.stderr,
      }),
    );

  const insertDead = async () => {
    const envelope = anEnvelope();
    await sql.run(
      `INSERT INTO outbox_messages (event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, attempts, max_attempts, next_attempt_at, last_error, created_at, ${NEVER_STAMPED.columns})
       VALUES (?, ?, 1, ?, 't', ?, '{}', 'DEAD', 3, 3, NOW(3), 'broker said no', NOW(3), ${NEVER_STAMPED.values})`,
      [envelope.eventId, envelope.conversationId, envelope.eventType, JSON.stringify(envelope.payload)],
    );
    return String(
      (await sql.query<{ id: number }>('SELECT id FROM outbox_messages WHERE event_id = ?', [envelope.eventId]))[0]!.id,
    );
  };

  it('lists DEAD rows, replays one and discards another, recording the operator', async () => {
    const [a, b] = [await insertDead(), await insertDead()];
    const listed = await cli('list', '--status', 'DEAD', '--json');
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { id: string; lastError: string }[]).map((r) => r.id)).toEqual([b, a]);

    expect(await cli('replay', a, '--reason', 'broker fixed')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`replayed ${a}: now PENDING`),
    });
    expect(await cli('discard', b, '--reason', 'handled by hand')).toMatchObject({ code: 0 });
    const rows = await sql.query<{ id: number; status: string; replayed_by: string; discarded_by: string }>(
      'SELECT id, status, replayed_by, discarded_by FROM outbox_messages ORDER BY id',
    );
    expect(rows.map((r) => [String(r.id), r.status])).toEqual([
      [a, 'PENDING'],
      [b, 'DISCARDED'],
    ]);
    expect(rows[0]?.replayed_by).toMatch(/^cli-/);

    const stats = await cli('stats', '--json');
    expect(JSON.parse(stats.stdout)).toMatchObject({ counts: { PENDING: 1, DISCARDED: 1, DEAD: 0 } });
  }, 60_000);

  it('exits non-zero with the typed reason for a row that is not DEAD, and with usage for bad input', async () => {
    const id = await insertDead();
    await cli('replay', id);
    expect(await cli('replay', id)).toMatchObject({ code: 1, stderr: expect.stringContaining('ILLEGAL_TRANSITION') });
    expect(await cli('list', '--status', 'NOPE')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown status NOPE'),
    });
    expect(await cli('discard', id)).toMatchObject({ code: 2, stderr: expect.stringContaining('needs --reason') });
  }, 60_000);
});
