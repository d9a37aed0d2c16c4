/** Kafka: the broker process — its pid file, spawning it detached, and terminating it. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { probeKafka } from './kafka-admin';
import { KAFKA_VERSION } from './kafka-jars';
import type { KafkaConfig } from './config';
import { log, StackError } from './log';
import { KAFKA_LOG, KAFKA_LOG4J, KAFKA_PID_FILE, KAFKA_PROPS, KAFKA_STDOUT, ROOT } from './paths';
import { tail, waitUntil } from './proc';

export const KAFKA_START_TIMEOUT_MS = 60_000;
const KAFKA_STOP_TIMEOUT_MS = 20_000;

function readKafkaPid() {
  try {
    const pid = Number(fs.readFileSync(KAFKA_PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True only for a live kafka.Kafka process: a recycled pid or a zombie must not count. */
function isKafkaProcess(pid: number) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return !fs.existsSync('/proc'); // no procfs (macOS): the signal check is all we have
  }
}

export function forgetKafkaPid() {
  fs.rmSync(KAFKA_PID_FILE, { force: true });
}

/** The pid of the broker this stack started, if it is still alive; clears a stale pid file. */
export function ourKafkaPid(): number | null {
  const pid = readKafkaPid();
  if (pid && isKafkaProcess(pid)) return pid;
  forgetKafkaPid();
  return null;
}

export function kafkaFailure(message: string) {
  const parts = [];
  const serverLog = tail(KAFKA_LOG);
  const stdout = tail(KAFKA_STDOUT, 15);
  if (serverLog) parts.push(`--- last lines of ${path.relative(ROOT, KAFKA_LOG)} ---\n${serverLog}`);
  if (stdout) parts.push(`--- last lines of ${path.relative(ROOT, KAFKA_STDOUT)} ---\n${stdout}`);
  return new StackError(message, parts.join('\n') || '(the broker wrote no log)');
}

/** Keeps the previous run's logs (one generation) so a restart doesn't erase a crash's trail. */
function rotateKafkaLogs() {
  for (const file of [KAFKA_LOG, KAFKA_STDOUT]) {
    if (fs.existsSync(file)) fs.renameSync(file, `${file}.1`);
  }
}

function javaArgs(libs: string) {
  return [
    '-Xms256m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=${pathToFileURL(KAFKA_LOG4J).href}`,
    '-cp',
    path.join(libs, '*'),
    'kafka.Kafka',
    KAFKA_PROPS,
  ];
}

/** Starts the broker detached and records its pid; `exited()` tells whether it has died. */
function launchBroker(libs: string) {
  const out = fs.openSync(KAFKA_STDOUT, 'a');
  // Detached + own log file: the broker outlives this script (and a test runner's process).
  const child = spawn('java', javaArgs(libs), { cwd: ROOT, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  // No pid: java could not be spawned at all (the 'error' event follows).
  if (child.pid === undefined) throw kafkaFailure('Kafka broker exited during startup (java could not be started)');
  fs.writeFileSync(KAFKA_PID_FILE, `${child.pid}\n`);
  return { pid: child.pid, exited: () => exited };
}

export async function spawnKafka(kafka: KafkaConfig, libs: string) {
  log(`starting Kafka ${KAFKA_VERSION} broker on 127.0.0.1:${kafka.port} (controller :${kafka.controllerPort})…`);
  rotateKafkaLogs();
  const child = launchBroker(libs);
  const ready = await waitUntil(
    'waiting for Kafka broker',
    KAFKA_START_TIMEOUT_MS,
    () => probeKafka(kafka.brokers),
    () => {
      if (child.exited() || !isKafkaProcess(child.pid)) {
        forgetKafkaPid();
        throw kafkaFailure(
          'Kafka broker exited during startup (if its data dir is damaged, `npm run stack:down` wipes it)',
        );
      }
    },
  );
  if (!ready) {
    // Don't leave a half-started broker behind for the next `up` to trip over.
    await terminate(child.pid);
    forgetKafkaPid();
    throw kafkaFailure(`Kafka broker did not answer within ${KAFKA_START_TIMEOUT_MS / 1000}s (stopped it)`);
  }
  log(`Kafka broker is up (pid ${child.pid})`);
  return child.pid;
}

/** SIGTERM for a controlled shutdown, SIGKILL if it overstays. */
export async function terminate(pid: number) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const gone = await waitUntil('waiting for Kafka to exit', KAFKA_STOP_TIMEOUT_MS, () => !isKafkaProcess(pid));
  if (!gone) {
    log(`Kafka (pid ${pid}) still running after ${KAFKA_STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitUntil('waiting for Kafka to die', 5000, () => !isKafkaProcess(pid));
  }
}
