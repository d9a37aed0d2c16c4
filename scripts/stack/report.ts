/** Summary and status: what `up` prints at the end, and the `status` verb. */
import { config, redact, type KafkaConfig, type StackConfig } from './config';
import { probeKafka } from './kafka-admin';
import { ourKafkaPid } from './kafka-process';
import { log, print } from './log';
import { portOpen } from './net';
import { SEPARATE_STACK } from './paths';
import { readState, startedByStack, type ServiceName } from './state';

/** How each service came to be running, one word per service for the summary. */
export type Results = Record<ServiceName, string>;

export function describe(startedNow: boolean, service: ServiceName) {
  return startedNow || startedByStack(service) ? 'started by stack' : 'already running';
}

export function printSummary(cfg: StackConfig, results: Results, mode?: 'docker') {
  const rows: [string, string, string][] = [
    ['mysql', redact(cfg.db.url), results.mariadb],
    ['redis', redact(cfg.redis.url), results.redis],
    [
      'kafka',
      `${cfg.kafka.brokers.join(',')} topic=${cfg.kafka.topic} (${cfg.kafka.partitions} partitions)`,
      results.kafka,
    ],
  ];
  log('stack is up:');
  for (const [name, url, how] of rows) print(`  ${name.padEnd(6)} ${url.padEnd(48)} ${how}`);
  if (mode === 'docker') print('  (services run in Docker: `npm run stack:down` stops them)');
}

/** The text after "kafka  " in the status output; probes the port only when no broker answers. */
async function kafkaStatus(kafka: KafkaConfig, topics: string[] | null, pid: number | null, docker: boolean) {
  if (topics) {
    const topicNote = topics.includes(kafka.topic) ? `topic ${kafka.topic} present` : `topic ${kafka.topic} MISSING`;
    return `up    ${kafka.brokers.join(',')}  ${topicNote}  (${pid ? `pid ${pid}, started by stack` : docker ? 'docker compose' : 'not started by stack'})`;
  }
  if (await portOpen(kafka.host, kafka.port)) {
    return `down  ${kafka.host}:${kafka.port} is open but no Kafka broker answers${pid ? ` (pid ${pid} still starting?)` : ''}`;
  }
  return `down  ${kafka.brokers.join(',')}`;
}

export async function statusImpl() {
  const cfg = config();
  const state = readState();
  const docker = !SEPARATE_STACK && state.mode === 'docker';
  const owner = (service: ServiceName) =>
    docker ? 'docker compose' : state[service]?.startedByStack ? 'started by stack' : 'not started by stack';

  const dbUp = await portOpen(cfg.db.host, cfg.db.port);
  const redisUp = await portOpen(cfg.redis.host, cfg.redis.port);
  const topics = await probeKafka(cfg.kafka.brokers);
  const pid = ourKafkaPid();
  const kafkaLine = await kafkaStatus(cfg.kafka, topics, pid, docker);
  const services = { mysql: dbUp, redis: redisUp, kafka: Boolean(topics) };
  print(`mysql  ${dbUp ? 'up  ' : 'down'}  ${cfg.db.host}:${cfg.db.port}/${cfg.db.name}  (${owner('mariadb')})`);
  print(`redis  ${redisUp ? 'up  ' : 'down'}  ${cfg.redis.host}:${cfg.redis.port}  (${owner('redis')})`);
  print(`kafka  ${kafkaLine}`);
  return { ok: Object.values(services).every(Boolean), services };
}
