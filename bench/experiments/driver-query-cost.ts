/**
 * The MariaDB driver's CPU per query in this process, nothing else running: `SELECT 1` (a round
 * trip and little else) and a 1,000-row, 14-column SELECT shaped like a relay claim's answer (row
 * decoding), sent sequentially through the driver's callback API with per-query options, the way
 * knex (under MikroORM) and the batch pool call it. Measures the driver alone, so two versions can
 * be compared without the rest of the product moving. The row source is MariaDB's sequence engine
 * (`mysql.seq_1_to_1000`): MariaDB only.
 *
 *   npx tsx bench/experiments/driver-query-cost.ts [--from DIR] [--queries 3000] [--rounds 2]
 *
 * --from loads `mariadb` from DIR's node_modules (e.g. a second checkout with the driver version to
 * compare against); alternate the two, since the machine's other load drifts. DATABASE_URL picks
 * the server (else the stack's .stack/app.env, else the app's default); no table is touched.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { toolServices } from '../../tools/kit/tool-services';

const { values } = parseArgs({
  options: { from: { type: 'string' }, queries: { type: 'string' }, rounds: { type: 'string' } },
});
const from = path.resolve(values.from ?? path.join(__dirname, '../..'));
const queries = Number(values.queries ?? 3000);
const rounds = Number(values.rounds ?? 2);

interface CallbackConnection {
  query(options: { sql: string }, values: unknown[], done: (error: Error | null, rows: unknown) => void): void;
  on(event: 'connect', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  end(done: () => void): void;
}
interface Driver {
  createConnection(options: Record<string, unknown>): CallbackConnection;
}

const CLAIM_SHAPED = `SELECT seq AS id, UUID() AS event_id, 'a3b1c2d4-0000-4000-8000-000000000001' AS aggregate_id,
  seq AS aggregate_seq, 'chat.message.created' AS event_type, 'chat-messages' AS topic,
  '{"messageId":"m","role":"user","content":"hello world"}' AS payload, '{}' AS headers, 'PENDING' AS status,
  0 AS attempts, 10 AS max_attempts, NOW(3) AS next_attempt_at, NOW(3) AS created_at, NULL AS last_error
  FROM mysql.seq_1_to_1000`;

const main = async () => {
  const url = new URL(toolServices().DATABASE_URL);
  const requireFrom = createRequire(path.join(from, 'package.json'));
  const driver = requireFrom('mariadb/callback') as Driver;
  // The package's exports do not include its package.json: read it from the folder.
  const manifest = readFileSync(path.join(from, 'node_modules', 'mariadb', 'package.json'), 'utf8');
  const { version } = JSON.parse(manifest) as { version: string };
  const connection = driver.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await new Promise<void>((resolve, reject) => {
    connection.on('connect', resolve);
    connection.on('error', reject);
  });
  const query = (sql: string) =>
    new Promise<void>((resolve, reject) =>
      connection.query({ sql }, [], (error) => (error ? reject(error) : resolve())),
    );
  const cpuUsPerQuery = async (sql: string, count: number) => {
    for (let i = 0; i < Math.min(count, 50); i += 1) await query(sql);
    const before = process.cpuUsage();
    for (let i = 0; i < count; i += 1) await query(sql);
    const used = process.cpuUsage(before);
    return Math.round(((used.user + used.system) / count) * 10) / 10;
  };
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const select1 = await cpuUsPerQuery('SELECT 1', queries);
      const rows1000 = await cpuUsPerQuery(CLAIM_SHAPED, Math.max(10, Math.round(queries / 30)));
      process.stdout.write(
        `${JSON.stringify({ driver: version, round, select1CpuUs: select1, rows1000CpuUs: rows1000 })}\n`,
      );
    }
  } finally {
    await new Promise<void>((resolve) => connection.end(resolve));
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
