/**
 * Local infrastructure for agent-relay: MariaDB/MySQL, Redis and a single-node Kafka.
 *
 *   tsx scripts/stack.ts up | plan | down | status | kafka:stop | kafka:start   (npm run stack:up, …)
 *
 * With a Docker engine it simply drives docker-compose.yml. Without one (CI boxes, sandboxes)
 * it reuses MariaDB/Redis already on the machine, starting them only if they are down, and
 * runs a real Apache Kafka broker from Maven Central jars — so tests talk to the same wire
 * protocol and broker semantics as production instead of an emulator.
 *
 * Everything this script starts is recorded under .stack/ so `down` stops exactly that and
 * never a service that was running before. startKafka()/stopKafka() are exported for chaos
 * tests that need to take the broker away and bring it back with its data intact.
 *
 * STACK_STATE_DIR (default .stack, relative to the repo) runs a second, independent stack:
 * with e.g. STACK_STATE_DIR=.stack-chaos KAFKA_BROKERS=127.0.0.1:<port> every verb drives a
 * broker of its own (controller on the broker port + 1, its own data dir, pid file and logs
 * under that dir, the same cached jars). Such a stack is always local, never Docker (the
 * compose project and its ports are shared); MariaDB/Redis are handled as usual.
 *
 * This file is the entry point and public API; the parts live in scripts/stack/:
 *   log.ts        StackError, progress output, the per-operation clock
 *   paths.ts      repo root, STACK_STATE_DIR and the files under it
 *   state.ts      the record of what this script started (state.json)
 *   config.ts     DATABASE_URL / REDIS_URL / KAFKA_*, parsed by the app's own src/config/
 *   proc.ts       running commands, polling, log tails;  net.ts  port checks
 *   docker.ts     docker compose mode;  mariadb.ts, redis.ts  reuse-or-start
 *   kafka-jars.ts (Java + Maven jars), kafka-config.ts (properties, KRaft format),
 *   kafka-admin.ts (kafkajs probe/topic), kafka-process.ts (pid, spawn, terminate),
 *   kafka.ts      start/adopt/stop the broker
 *   database-url.ts  which DATABASE_URL (scheme = driver) the app gets for the server that answers
 *   report.ts     summary and `status`;  ops.ts  the verbs' implementations
 */
import { StackError, timed } from './stack/log';
import { downImpl, kafkaStartImpl, kafkaStopImpl, planImpl, upImpl } from './stack/ops';
import { statusImpl } from './stack/report';

export { config } from './stack/config';
export { setLogger, StackError } from './stack/log';

/**
 * Brings up MariaDB/MySQL, Redis and Kafka (+ database and topic); idempotent. Resolves to
 * { mode, env }: env is what the app needs for this stack (DATABASE_URL's scheme names the
 * server that answers, so the driver matches it), also written to <state dir>/app.env.
 */
export const up = () => timed(upImpl);
/** Prints the mode `up` would choose (docker | local) and the env it would hand the app; starts nothing. */
export const plan = () => timed(planImpl);
/** Stops only what `up` started and wipes the local broker's data. */
export const down = () => timed(downImpl);
/** Prints one line per service; resolves to { ok, services }. */
export const status = () => timed(statusImpl);
/** Starts (or confirms) the broker, keeping its data dir: for chaos tests. */
export const startKafka = () => timed(kafkaStartImpl);
/** Stops the stack's broker, keeping its data dir so startKafka() resumes with the same topics. */
export const stopKafka = () => timed(kafkaStopImpl);

// ---------------------------------------------------------------------------------------------
// CLI.

const VERBS = { up, plan, down, status, 'kafka:start': startKafka, 'kafka:stop': stopKafka } as const;
type Verb = keyof typeof VERBS;
const isVerb = (word: string | undefined): word is Verb => word !== undefined && Object.hasOwn(VERBS, word);

async function main(argv: string[]) {
  const verb = argv[0];
  if (!isVerb(verb)) {
    console.error(`usage: tsx scripts/stack.ts ${Object.keys(VERBS).join('|')}`);
    return 2;
  }
  try {
    if (verb === 'status') return (await status()).ok ? 0 : 3;
    await VERBS[verb]();
    return 0;
  } catch (error) {
    if (error instanceof StackError) {
      console.error(`stack ${verb}: ${error.message}`);
      if (error.detail) console.error(error.detail);
    } else {
      console.error(`stack ${verb}: unexpected error: ${error instanceof Error ? error.stack : String(error)}`);
    }
    return 1;
  }
}

if (require.main === module) {
  // Exit explicitly: a lingering kafkajs socket or timer must not keep the CLI alive.
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
