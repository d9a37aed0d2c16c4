/** Kafka: start (or adopt) and stop the local broker of this stack. */
import { isLocal, type KafkaConfig, type StackConfig } from './config';
import { ensureTopic, probeKafka } from './kafka-admin';
import { formatKafkaStorage, writeKafkaConfig } from './kafka-config';
import { ensureJava, ensureKafkaJars } from './kafka-jars';
import {
  forgetKafkaPid,
  KAFKA_START_TIMEOUT_MS,
  kafkaFailure,
  ourKafkaPid,
  spawnKafka,
  terminate,
} from './kafka-process';
import { log, StackError } from './log';
import { portOpen, waitPortClosed, whoListens } from './net';
import { waitUntil } from './proc';
import { recordService, updateState } from './state';

/** Our broker answers: keep it (and whatever an earlier `up` recorded about it). */
async function keepOurBroker(kafka: KafkaConfig, pid: number) {
  recordService('kafka', false);
  await ensureTopic(kafka);
  return { startedNow: false, pid };
}

/** Something else listens on the broker port. */
async function useForeignBroker(kafka: KafkaConfig) {
  // Someone else's broker (docker, a colleague's script) is fine; anything else is a conflict.
  if (await waitUntil('checking what listens on the Kafka port', 10_000, () => probeKafka(kafka.brokers))) {
    log(`Kafka broker answers on ${kafka.host}:${kafka.port} (not started by stack)`);
    updateState({ kafka: { startedByStack: false } });
    await ensureTopic(kafka);
    return { startedNow: false, pid: null };
  }
  throw new StackError(
    `port ${kafka.port} is in use by ${whoListens(kafka.port)}, which is not a Kafka broker — stop it or set KAFKA_BROKERS to another port`,
  );
}

/** Our process exists but doesn't answer: still starting (another `up` racing) or wedged. */
async function awaitOurBroker(kafka: KafkaConfig, pid: number) {
  const ready = await waitUntil('waiting for the running Kafka broker to answer', KAFKA_START_TIMEOUT_MS, () =>
    probeKafka(kafka.brokers),
  );
  if (!ready)
    throw kafkaFailure(
      `Kafka (pid ${pid}) is running but not answering on ${kafka.host}:${kafka.port}; try \`npx tsx scripts/stack.ts kafka:stop\``,
    );
  return keepOurBroker(kafka, pid);
}

/** Nothing runs: start a fresh broker from the cached jars. */
async function launchLocalBroker(kafka: KafkaConfig) {
  if (!isLocal(kafka.host))
    throw new StackError(
      `no Kafka broker answers at ${kafka.host}:${kafka.port} (KAFKA_BROKERS) and it is not local, so it can't be started here`,
    );
  if (await portOpen('127.0.0.1', kafka.controllerPort)) {
    throw new StackError(
      `port ${kafka.controllerPort} (Kafka controller = broker port + 1) is in use by ${whoListens(kafka.controllerPort)} — free it or set KAFKA_BROKERS to another port`,
    );
  }
  ensureJava();
  const libs = await ensureKafkaJars();
  writeKafkaConfig(kafka);
  formatKafkaStorage(libs);
  const pid = await spawnKafka(kafka, libs);
  recordService('kafka', true);
  await ensureTopic(kafka);
  return { startedNow: true, pid };
}

export async function startKafkaImpl(cfg: StackConfig): Promise<{ startedNow: boolean; pid: number | null }> {
  const { kafka } = cfg;
  const ourPid = ourKafkaPid();
  if (ourPid && (await probeKafka(kafka.brokers))) {
    log(`Kafka broker answers on ${kafka.host}:${kafka.port} (pid ${ourPid})`);
    return keepOurBroker(kafka, ourPid);
  }
  if (!ourPid && (await portOpen(kafka.host, kafka.port))) return useForeignBroker(kafka);
  if (ourPid) return awaitOurBroker(kafka, ourPid);
  return launchLocalBroker(kafka);
}

export async function stopKafkaImpl(cfg: StackConfig) {
  const pid = ourKafkaPid();
  if (!pid) {
    log('Kafka: no broker started by stack is running');
    return { stopped: false };
  }
  log(`stopping Kafka broker (pid ${pid})…`);
  await terminate(pid);
  forgetKafkaPid();
  // Callers (chaos tests) may restart immediately; make sure the port is really free.
  await waitPortClosed('waiting for the Kafka port to close', 5000, '127.0.0.1', cfg.kafka.port);
  log('Kafka broker stopped');
  return { stopped: true };
}
