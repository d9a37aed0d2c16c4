/**
 * What a trickle costs the relay + consumer per message: open-loop appends through the writer
 * use case (this process, ROLES=api, real Redis wake-ups) while the app runs as a child
 * process (ROLES=api,relay,consumer), as in the latency scenario. Per rate: the child's CPU ms
 * per message (from /proc, over the measured window), MariaDB's, relay rounds and consumer
 * transactions per message (distinct published_at / consumed_at stamps of the window's rows:
 * each round stamps its batch with one `now`, each consumer transaction likewise), and
 * commit→consumed percentiles. One JSON line per rate.
 *
 *   npx tsx bench/experiments/trickle-cost.ts [--rates 100,500] [--seconds 10] [--profile DIR]
 *     [--node-options "--max-semi-space-size=32"]   (the child's NODE_OPTIONS, to try V8 settings)
 *     [--set RELAY_WAKE_LINGER_MS=10 …]               (the child's settings, to compare them)
 *
 * To compare two versions, put this file into the other checkout's bench/experiments/ and run
 * it there (the child runs that checkout's src/); alternate the two, since the machine's other
 * load drifts. Uses the bench's services from DATABASE_URL / REDIS_URL / KAFKA_BROKERS.
 */
import { parseArgs } from 'node:util';
import { startApp } from '../lib/app';
import { cpuSeconds, spawnApp } from '../lib/child-app';
import { benchEnv, provision } from '../lib/env';
import { startLoadMonitor } from '../lib/machine';
import { createProgress } from '../lib/progress';
import { createScope } from '../lib/scope';
import { settingsFrom } from '../lib/settings';
import { offerAppends } from '../scenarios/latency/load';
import { outboxLags } from '../scenarios/latency/outbox-lags';
import { stampSql } from '../../src/tooling';

const { values } = parseArgs({
  options: {
    rates: { type: 'string' },
    seconds: { type: 'string' },
    profile: { type: 'string' },
    'node-options': { type: 'string' },
    set: { type: 'string', multiple: true },
  },
});
// `--set RELAY_WAKE_LINGER_MS=10`: settings for the child (the app under test), to compare them.
const childSettings = settingsFrom(values.set);
const rates = (values.rates ?? '100,500').split(',').map(Number);
const durationMs = 1000 * Number(values.seconds ?? 10);

const main = async () => {
  const scope = createScope();
  const progress = createProgress(() => undefined);
  try {
    const env = await provision(scope, 'trickle');
    const child = await spawnApp(
      scope,
      benchEnv(env.names, { ...childSettings, ROLES: 'api,relay,consumer', NODE_OPTIONS: values['node-options'] }),
      (line) => console.error(line),
      values.profile ? { profileDir: values.profile } : {},
    );
    const { app } = await startApp(scope, env.config({ ROLES: 'api' }), { untilReady: true });
    for (const rate of rates) {
      const from = new Date();
      const cpu0 = cpuSeconds(child.pid);
      const machine = startLoadMonitor();
      const run = await offerAppends({
        append: app.useCases.appendChatMessages,
        rate,
        durationMs,
        warmupMs: 2_000,
        sql: env.sql,
        progress,
        label: `${rate}`,
        cost: { redisUrl: env.config().redis.url, roles: { writer: 'self', relayConsumer: child.pid } },
      });
      // Let the last rows of the window reach history before the clocks stop.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const childCpuMs = 1000 * (cpuSeconds(child.pid) - cpu0);
      const load = machine.stop();
      const [stamps] = await env.sql.query<{ n: number; rounds: number; txs: number }>(
        `SELECT COUNT(*) AS n, COUNT(DISTINCT ${stampSql('published_at')}) AS rounds, COUNT(DISTINCT ${stampSql('consumed_at')}) AS txs FROM outbox_messages WHERE created_at >= ? AND created_at < ?`,
        [from, run.window.until],
      );
      const lags = await outboxLags(env.sql, run.window, run.returnedAt);
      // CPU and stamps from the start of the warm-up: every message the child handled meanwhile counts.
      const messages = Number(stamps?.n ?? 0);
      const seconds = (Date.now() - from.getTime()) / 1000;
      console.log(
        JSON.stringify({
          rate,
          messages,
          achieved: Number(run.load.achievedPerSec.toFixed(0)),
          // The writer's own append calls (queueing for a connection included).
          appendP50: Number(run.load.callMs.p50.toFixed(1)),
          appendP99: Number(run.load.callMs.p99.toFixed(1)),
          childMsPerMsg: Number((childCpuMs / messages).toFixed(3)),
          mariadbMsPerMsg: Number(((load.infraCores.mariadb * seconds * 1000) / messages).toFixed(3)),
          roundsPerMsg: Number((Number(stamps?.rounds) / messages).toFixed(3)),
          txsPerMsg: Number((Number(stamps?.txs) / messages).toFixed(3)),
          publishedP50: lags.published.p50,
          publishedP99: lags.published.p99,
          consumedP50: lags.consumed.p50,
          consumedP99: lags.consumed.p99,
          // From the append's return (after commit and wake-up): the pipeline's own lag, without the writer's queue.
          returnedToConsumedP50: lags.returnedToConsumed.p50,
          returnedToConsumedP99: lags.returnedToConsumed.p99,
          otherCores: load.cores.other,
        }),
      );
    }
  } finally {
    const failures = await scope.close();
    if (failures.length) console.error(failures.join('\n'));
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
