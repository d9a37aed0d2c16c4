/**
 * What the relay's PUBLISHED mark costs per batch, by how it hands each row its own Kafka
 * partition and offset: `CASE id WHEN … END` per column (the mark before issue 14), a join
 * against a UNION ALL derived table of (id, partition, offset), or a join against JSON_TABLE.
 * Each round claims a batch (the real claim stamp), then marks it; only the mark is timed.
 * The server's time is what matters (the mark runs once per batch on the critical path), so
 * the wall time of the statement is reported, median over the rounds.
 *
 *   npx tsx bench/experiments/mark-published-cost.ts [--batch 1000] [--rounds 20]
 *
 * DATABASE_URL picks the server and driver (else the stack's .stack/app.env, else the app's
 * default mariadb://root@127.0.0.1:3306); the run creates and drops a database of its own.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { loadConfig } from '../../src/config';
import { CLEAR_CLAIM, migrateUp, NO_TIME_SQL, ormOptions, placeholders } from '../../src/tooling';
import { withDatabaseName } from '../../tools/kit/run-names';
import { toolServices } from '../../tools/kit/tool-services';

const { values } = parseArgs({ options: { batch: { type: 'string' }, rounds: { type: 'string' } } });
const batch = Number(values.batch ?? 1000);
const rounds = Number(values.rounds ?? 20);

type Position = { id: string; partition: number; offset: number };
const GUARD = `status IN ('PENDING') AND claim_token = ?`;
const SET = `status = 'PUBLISHED', published_at = ?, ${CLEAR_CLAIM}`;

const variants: Record<string, (rows: Position[], token: string, now: Date) => { sql: string; params: unknown[] }> = {
  'CASE id WHEN (before)': (rows, token, now) => {
    const when = rows.map(() => 'WHEN ? THEN ?').join(' ');
    return {
      sql: `UPDATE outbox_messages SET ${SET}, kafka_partition = CASE id ${when} END, kafka_offset = CASE id ${when} END WHERE id IN (${placeholders(rows)}) AND ${GUARD}`,
      params: [
        now,
        ...rows.flatMap((r) => [r.id, r.partition]),
        ...rows.flatMap((r) => [r.id, r.offset]),
        ...rows.map((r) => r.id),
        token,
      ],
    };
  },
  'no positions (floor)': (rows, token, now) => ({
    sql: `UPDATE outbox_messages SET ${SET} WHERE id IN (${placeholders(rows)}) AND ${GUARD}`,
    params: [now, ...rows.map((r) => r.id), token],
  }),
  'JOIN UNION ALL': (rows, token, now) => ({
    sql: `UPDATE outbox_messages o JOIN (${rows.map(() => 'SELECT ? AS id, ? AS p, ? AS f').join(' UNION ALL ')}) d ON o.id = d.id
          SET o.status = 'PUBLISHED', o.published_at = ?, o.kafka_partition = d.p, o.kafka_offset = d.f, ${CLEAR_CLAIM}
          WHERE o.status IN ('PENDING') AND o.claim_token = ?`,
    params: [...rows.flatMap((r) => [r.id, r.partition, r.offset]), now, token],
  }),
  'JOIN JSON_TABLE': (rows, token, now) => ({
    sql: `UPDATE outbox_messages o JOIN JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$[0]', p INT PATH '$[1]', f BIGINT PATH '$[2]')) d ON o.id = d.id
          SET o.status = 'PUBLISHED', o.published_at = ?, o.kafka_partition = d.p, o.kafka_offset = d.f, ${CLEAR_CLAIM}
          WHERE o.status IN ('PENDING') AND o.claim_token = ?`,
    params: [JSON.stringify(rows.map((r) => [Number(r.id), r.partition, r.offset])), now, token],
  }),
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const main = async () => {
  const dbName = `agent_relay_mark_cost_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const loaded = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: 'mark-cost-0123456789abcdef0123456789',
    DATABASE_URL: withDatabaseName(toolServices().DATABASE_URL, dbName),
  });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  await migrateUp(loaded.config.db);
  const orm = await MikroORM.init({ ...ormOptions(loaded.config.db), ensureDatabase: false, logger: () => undefined });
  const em = orm.em.fork() as EntityManager;
  try {
    const total = batch * rounds * Object.keys(variants).length;
    for (let done = 0; done < total; done += 1000) {
      const n = Math.min(1000, total - done);
      await em.execute(
        `INSERT INTO outbox_messages (event_id, aggregate_id, aggregate_seq, event_type, topic, payload, headers, status, max_attempts, next_attempt_at, created_at, claim_expires_at, published_at, consumed_at) VALUES ${Array.from({ length: n }, () => `(UUID(), ?, ?, 'chat', 't', '{}', '{}', 'PENDING', 10, NOW(3), NOW(3), ${NO_TIME_SQL}, ${NO_TIME_SQL}, ${NO_TIME_SQL})`).join(', ')}`,
        Array.from({ length: n }, (_, i) => [`conv-${(done + i) % 1000}`, done + i]).flat(),
        'run',
      );
    }
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    // Variants alternate round by round, so drift in the machine's other load hits each alike.
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, build] of Object.entries(variants)) {
        const token = randomUUID();
        const ids = (
          await em.execute<{ id: string }[]>(
            `SELECT id FROM outbox_messages WHERE status = 'PENDING' AND claim_expires_at = ${NO_TIME_SQL} ORDER BY id LIMIT ?`,
            [batch],
          )
        ).map((r) => String(r.id));
        await em.execute(
          `UPDATE outbox_messages SET claim_owner = 'x', claim_token = ?, claim_expires_at = NOW(3) WHERE id IN (${placeholders(ids)})`,
          [token, ...ids],
          'run',
        );
        const rows = ids.map((id, i) => ({ id, partition: i % 3, offset: 1_000_000 + i }));
        const { sql, params } = build(rows, token, new Date());
        const t0 = performance.now();
        const changed = await em.execute<{ affectedRows: number }>(sql, params, 'run');
        times[name]?.push(performance.now() - t0);
        if (changed.affectedRows !== ids.length)
          throw new Error(`${name}: marked ${changed.affectedRows} of ${ids.length}`);
        if (name.startsWith('no positions')) continue;
        const stored = await em.execute<{ id: string; kafka_partition: number; kafka_offset: number }[]>(
          `SELECT id, kafka_partition, kafka_offset FROM outbox_messages WHERE id IN (${placeholders(ids)})`,
          ids,
        );
        const expected = new Map(rows.map((r) => [r.id, r]));
        const wrong = stored.filter(
          (s) =>
            expected.get(String(s.id))?.partition !== Number(s.kafka_partition) ||
            expected.get(String(s.id))?.offset !== Number(s.kafka_offset),
        );
        if (wrong.length > 0) throw new Error(`${name}: ${wrong.length} rows got another row's position`);
      }
    }
    for (const [name, xs] of Object.entries(times))
      console.log(
        `${name.padEnd(24)} median ${median(xs).toFixed(1)} ms  min ${Math.min(...xs).toFixed(1)} ms  (${batch} rows, ${rounds} rounds)`,
      );
  } finally {
    await em.execute(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await orm.close(true);
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
