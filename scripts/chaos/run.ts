/**
 * npm run chaos -- [--quick] [--messages N] [--duration S] [--seed N] [--redis-db N]
 *
 * Runs the service as separate processes (api, two relays, consumer) against a Kafka broker,
 * database and Redis index of its own (database and Redis behind TCP proxies the run can cut),
 * sends ledgered traffic through the API (retrying clients, chatStream subscribers) and the
 * writer use case while injecting faults, then checks that history holds every message exactly
 * once and in order, and prints one verdict line per fault. Exit 0 only when every line passes.
 * See README "Chaos".
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AppRole } from '../../src/config';
import { createApiClient } from './api-client';
import { createCleanup } from './cleanup';
import { createChaosEnv, serviceEnv, type ChaosEnv } from './env';
import { detectFeatures, type ServiceFeatures } from './features';
import { planFaults, runFaults, type FaultRecord } from './faults';
import { outageTimings, type OutageTimings } from './outage-faults';
import { openProxies } from './proxies';
import { createSubscribers, type Subscribers } from './subscribers';
import { printVerdictLines, verdictLines } from './verdict-lines';
import { migrateUp } from '../../src/tooling';
import {
  acquireRunLock,
  assertOwnBroker,
  chaosStack,
  dropDatabase,
  openControl,
  openRedis,
  type Control,
} from './infra';
import { createLedger } from './ledger';
import { elapsed, say } from './log';
import { parseOptions, USAGE, type ChaosOptions } from './options';
import { startProgress } from './progress';
import { waitForQuiescence, waitForReplies } from './quiescence';
import { checkDeliveryOrder, readTopic } from './readback';
import { faultsTable, printVerdict } from './report';
import type { DeliveredEvent } from './readback';
import { createRng } from './rng';
import { createService, type Service, type UnexpectedExit } from './services';
import { planTraffic, runTraffic } from './traffic';
import { consumedAfterMs, historyCompleteAfterMs, judge, latencyPercentiles, loadEvidence, recoveryMs } from './verify';
import { chaosConfig, openWriter } from './writer';

const cleanup = createCleanup();
const abort = new AbortController();
const services: Service[] = [];

/** Which process last said it was generating each reply ("generating reply" log lines). */
const generatingProcess = new Map<string, string>();
const noteGenerating = (service: string, line: string) => {
  if (!line.includes('"msg":"generating reply"')) return;
  const replyId = /"replyId":"([^"]+)"/.exec(line)?.[1];
  if (replyId) generatingProcess.set(replyId, service);
};

const startServices = async (env: ChaosEnv, features: ServiceFeatures, unexpectedExits: UnexpectedExit[]) => {
  const onUnexpectedExit = (exit: UnexpectedExit) => {
    unexpectedExits.push(exit);
    say(
      exit.graceful
        ? `${exit.service} was shut down by a signal from outside this run (exit 0); restarting it`
        : `${exit.service} CRASHED (code ${exit.code}, signal ${exit.signal}); restarting it. Log tail:\n${exit.logTail}`,
    );
  };
  const make = (name: string, role: AppRole) =>
    createService({
      name,
      role,
      env: serviceEnv(env, [role]),
      logDir: env.logDir,
      readyUrl: `http://127.0.0.1:${env.httpPort}/readyz`,
      onUnexpectedExit,
      onLogLine: (line) => noteGenerating(name, line),
    });
  const api = make('api', 'api');
  const relays = [make('relay-1', 'relay'), make('relay-2', 'relay')];
  const consumer = make('consumer', 'consumer');
  // The api generates replies; where a generator role exists, a generator process does too.
  const generators = features.generatorRole ? [api, make('generator', 'generator' as AppRole)] : [api];
  services.push(api, ...relays, consumer, ...generators.filter((g) => g !== api));
  cleanup.add('stop the services', () => Promise.all(services.map((s) => s.stop())));
  await Promise.all(services.map((s) => s.start()));
  say(`services ready: ${services.map((s) => `${s.name} (pid ${s.pid()})`).join(', ')}`);
  return { relays, consumer, generators };
};

/** For a pipeline that never settled: each process's last warnings (a crashed consumer, a stuck relay). */
const printLastWarnings = () => {
  for (const service of services) {
    const lines = fs
      .readFileSync(service.logFile, 'utf8')
      .split('\n')
      .filter((l) => /"level":[4-6]0/.test(l));
    const last = lines.slice(-3).map((l) => `  ${l.slice(0, 400)}`);
    console.log(
      `${service.name} (pid ${service.pid()}, ${service.alive() ? 'alive' : 'not running'}), last warnings:\n${last.join('\n') || '  (none)'}`,
    );
  }
};

const setUp = async (env: ChaosEnv) => {
  const release = acquireRunLock(env);
  cleanup.add('release the run lock', async () => release());
  cleanup.add('stop the chaos broker', () => chaosStack(env, 'down'));
  say(`starting the chaos stack (STACK_STATE_DIR=.stack-chaos, Kafka ${env.brokers}, topic ${env.topic})…`);
  // A broker an interrupted run of this checkout left behind listens on that run's port, not this one's.
  await chaosStack(env, 'kafka:stop');
  await chaosStack(env, 'up');
  const brokerPid = assertOwnBroker(env);
  const control = openControl(env);
  cleanup.add('close the SQL pool', () => control.close());
  cleanup.add('drop the chaos database', () => dropDatabase(control, env));
  await migrateUp(chaosConfig(env).db);
  const redis = openRedis(env);
  cleanup.add('close Redis', () => redis.close());
  await redis.flushdb();
  cleanup.add('FLUSHDB the chaos Redis index', () => redis.flushdb());
  say(`broker pid ${brokerPid}; database ${env.dbName} migrated; Redis index ${env.redisDb} flushed`);
  return { control, redis };
};

interface VerifyInput {
  readonly env: ChaosEnv;
  readonly control: Control;
  readonly ledger: ReturnType<typeof createLedger>;
  readonly faults: FaultRecord[];
  readonly unexpectedExits: UnexpectedExit[];
  readonly subscribers: Subscribers;
  readonly features: ServiceFeatures;
  readonly timings: OutageTimings;
}

/** Longer than the service's recovery of replies that lost their job (GENERATE_RECOVER_AFTER_MS + its interval, 40 s). */
const REPLY_WAIT_MS = 90_000;

const OUTAGES = new Set<FaultRecord['kind']>(['broker-outage', 'db-outage', 'redis-outage', 'kafka-outage']);

const verify = async (input: VerifyInput) => {
  const { env, control, ledger, faults, unexpectedExits, subscribers, features, timings } = input;
  say(
    "traffic and faults over; waiting for the pipeline to settle (max 120 s) and every acknowledged send's reply (max 90 s)…",
  );
  let quiet = await waitForQuiescence(control, { maxMs: 120_000, stableMs: 3000, signal: abort.signal });
  say(`${quiet.settled ? 'settled' : 'NOT settled'} after ${quiet.ms} ms: outbox ${JSON.stringify(quiet.counts)}`);
  const replies = await waitForReplies(control, ledger.replies, { maxMs: REPLY_WAIT_MS, signal: abort.signal });
  if (replies.ms > 1000) {
    say(
      `${replies.missing === 0 ? 'every acknowledged send has its reply' : `${replies.missing} acknowledged send(s) still without a reply`} after ${replies.ms} ms more; settling again…`,
    );
    quiet = await waitForQuiescence(control, { maxMs: 60_000, stableMs: 3000, signal: abort.signal });
  }
  await subscribers.settle(30_000);
  const events: DeliveredEvent[] = await readTopic(env);
  const order = checkDeliveryOrder(events);
  say(`read ${events.length} records back from ${env.topic}`);
  const evidence = await loadEvidence(control);
  const verdict = judge(ledger, evidence, order);
  for (const fault of faults) {
    fault.recoveryMs = await recoveryMs(control, fault.at);
    if (OUTAGES.has(fault.kind) && fault.endedAt > 0)
      fault.historyCompleteMs = await historyCompleteAfterMs(control, fault.endedAt);
    if (fault.orphanIds?.length) {
      const ms = await consumedAfterMs(control, fault.orphanIds, fault.at);
      fault.detail +=
        ms === null ? '; orphaned rows NOT all consumed' : `; orphaned rows CONSUMED ${ms} ms after the kill`;
    }
  }
  const latency = await latencyPercentiles(control);
  console.log(`\nfaults:\n${faultsTable(faults)}\n`);
  console.log(
    `end-to-end latency (outbox insert → CONSUMED): p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`,
  );
  printVerdict(verdict, { unexpectedExits, failedFaults: faults.filter((f) => f.failed), settled: quiet.settled });
  if (!quiet.settled) printLastWarnings();
  const lines = verdictLines({
    verdict,
    ledger,
    evidence,
    records: events,
    faults,
    watches: subscribers.watches,
    clientMessageId: features.clientMessageId,
    unexpectedExits,
    settled: quiet.settled,
    serviceReturnBoundMs: timings.serviceReturnBoundMs,
    at: (ms) => `+${elapsed(ms)}s`,
  });
  return printVerdictLines(lines);
};

const chaos = async (options: ChaosOptions) => {
  const started = Date.now();
  const features = detectFeatures();
  const proxies = await openProxies();
  cleanup.add('close the proxies', () => proxies.close());
  const env = await createChaosEnv({
    redisDb: options.redisDb,
    quick: options.quick,
    proxyPorts: { database: proxies.database.port, redis: proxies.redis.port },
    hold: (lock) => cleanup.add(`release ${path.basename(lock.file)}`, async () => lock.release()),
  });
  const timings = outageTimings(options.quick);
  const trafficPlan = planTraffic(options.messages, options.durationMs, options.quick);
  const faultPlan = planFaults(createRng(options.seed ^ 0x5bd1e995), options.durationMs, options.quick);
  say(
    `run ${env.id}, seed ${options.seed}: ${options.messages} messages over ${options.durationMs / 1000} s (${trafficPlan.writerMessages} through the writer use case in ${trafficPlan.writerConversations} conversations, ${trafficPlan.apiSends} sendMessage calls → ${2 * trafficPlan.apiSends} messages)`,
  );
  say(`fault plan: ${faultPlan.map((f) => `${f.kind}@${(f.atMs / 1000).toFixed(1)}s`).join(', ')}`);
  say(
    `service features: ${Object.entries(features)
      .map(([k, v]) => `${k} ${v ? 'yes' : 'NO'}`)
      .join(', ')}; relay schedule: ${JSON.stringify(env.relaySchedule)} (unset = defaults)`,
  );
  say(
    `outages: broker ${timings.brokerOutageMs / 1000} s, database and Redis ${timings.serviceOutageMs / 1000} s each (proxies on ${proxies.database.port} and ${proxies.redis.port}; history due within ${timings.serviceReturnBoundMs / 1000} s of their return), consumer stall ${timings.stallMs / 1000} s`,
  );
  say(`logs: ${env.logDir}`);

  const { control, redis } = await setUp(env);
  const unexpectedExits: UnexpectedExit[] = [];
  const { relays, consumer, generators } = await startServices(env, features, unexpectedExits);
  const writer = await openWriter(env);
  cleanup.add('close the in-process writer', () => writer.close());

  const ledger = createLedger();
  const faults: FaultRecord[] = [];
  const stopProgress = startProgress(control, ledger, faults);
  let faultsRunning = true;
  const trafficStart = Date.now();
  const api = createApiClient(`http://127.0.0.1:${env.httpPort}/graphql`, chaosConfig(env).auth);
  const subscribers = createSubscribers({ wsUrl: `ws://127.0.0.1:${env.httpPort}/graphql`, tokenFor: api.tokenFor });
  cleanup.add('close the subscribers', () => subscribers.close());
  const faultDeps = {
    env,
    rng: createRng(options.seed ^ 0x27d4eb2f),
    control,
    relays,
    consumer,
    generators,
    generatorOf: (replyId: string) => generatingProcess.get(replyId),
    everyService: services,
    proxies,
    subscribers,
    timings,
    flushRedis: () => redis.flushdb(),
    signal: abort.signal,
  };
  const faultRun = runFaults(faultPlan, faultDeps, trafficStart, faults).finally(() => (faultsRunning = false));
  const traffic = await runTraffic({
    rng: createRng(options.seed),
    ledger,
    append: writer.append,
    api,
    plan: trafficPlan,
    retrySends: features.clientMessageId,
    retryBudgetMs: options.quick ? 60_000 : 180_000,
    subscribers,
    faultsRunning: () => faultsRunning,
    signal: abort.signal,
  });
  await faultRun;
  stopProgress();
  say(
    `traffic done in ${(traffic.durationMs / 1000).toFixed(1)} s: ${ledger.sent()} messages handed over (${traffic.failedCalls} calls failed and are checked as all-or-nothing; ${traffic.retriedSends} sends retried), ${faults.length} faults`,
  );
  if (abort.signal.aborted) throw new Error('interrupted');

  const passed = await verify({ env, control, ledger, faults, unexpectedExits, subscribers, features, timings });
  say(
    `chaos ${passed ? 'PASSED' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s (seed ${options.seed}; rerun with --seed ${options.seed})`,
  );
  return passed;
};

const main = async () => {
  let options: ChaosOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`${signal}: stopping traffic and cleaning up (again to quit at once)…`);
    abort.abort();
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Last resort if the runner dies with children alive: they run in their own process groups.
  process.on('exit', () => services.forEach((s) => s.alive() && tryKill(s.pid())));
  try {
    return (await chaos(options)) ? 0 : 1;
  } catch (error) {
    say(`chaos run failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    say('cleaning up…');
    await cleanup.run();
  }
};

const tryKill = (pid: number | undefined) => {
  try {
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

void main().then((code) => process.exit(code));
