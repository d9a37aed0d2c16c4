/** Summary and status: what `up` prints at the end, and the `status` verb. */
import { config, redact } from './config.mjs';
import { probeKafka } from './kafka-admin.mjs';
import { ourKafkaPid } from './kafka-process.mjs';
import { log, print } from './log.mjs';
import { portOpen } from './net.mjs';
import { SEPARATE_STACK } from './paths.mjs';
import { readState, startedByStack } from './state.mjs';

export function describe(startedNow, service) {
  return startedNow || startedByStack(service) ? 'started by stack' : 'already running';
}

export function printSummary(cfg, results, mode) {
  const rows = [
    ['mysql', redact(cfg.db.url), results.mariadb],
    ['redis', redact(cfg.redis.url), results.redis],
    ['kafka', `${cfg.kafka.brokers.join(',')} topic=${cfg.kafka.topic} (${cfg.kafka.partitions} partitions)`, results.kafka],
  ];
  log('stack is up:');
  for (const [name, url, how] of rows) print(`  ${name.padEnd(6)} ${url.padEnd(48)} ${how}`);
  if (mode === 'docker') print('  (services run in Docker: `npm run stack:down` stops them)');
}

/** The text after "kafka  " in the status output; probes the port only when no broker answers. */
async function kafkaStatus(kafka, topics, pid, docker) {
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
  const owner = (service) => (docker ? 'docker compose' : state[service]?.startedByStack ? 'started by stack' : 'not started by stack');

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
