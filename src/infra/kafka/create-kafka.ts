import { Kafka, logLevel, type Admin, type logCreator } from 'kafkajs';
import type { AppConfig } from '../../config';
import { AppError } from '../../domain/errors';
import { createStatusTracker, withTimeout, type Component } from '../lifecycle';
import type { Logger } from '../logger';
import { patchKafkajsIdleTimer } from './kafkajs-idle-timer.patch';

patchKafkajsIdleTimer();

export interface KafkaClient extends Component {
  kafka(): Kafka;
  /** The started admin client (readiness, offsets); throws before start(). */
  admin(): Admin;
}

/**
 * kafkajs logs through pino at warn: its info lines are per-connection noise, and its
 * "errors" are mostly protocol responses it retries itself; failures that matter surface
 * through our own code paths and are logged there.
 */
/**
 * kafkajs repeats a connection failure on every retry of every client (hundreds of lines a minute
 * while a broker is down). The outage is reported once by our own code (the relay's "publishing
 * blocked" line, the consumer's status change), so these per-attempt lines go to debug.
 */
const PER_ATTEMPT_CONNECTION_NOISE =
  /Connection error|Connection timeout|Closed connection|ECONNREFUSED|ECONNRESET|Failed to connect to seed broker/;

const pinoLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ level, log }) => {
    const { message, ...extra } = log;
    if (level !== logLevel.ERROR && level !== logLevel.WARN) return;
    if (PER_ATTEMPT_CONNECTION_NOISE.test(`${message} ${String(extra['error'] ?? '')}`))
      logger.debug({ kafka: extra }, message);
    else logger.warn({ kafka: extra }, message);
  };

/**
 * The cluster handle plus an admin client used for readiness and to create the topic
 * at start with the configured partition count (an existing topic is left as it is).
 */
export const createKafka = (config: AppConfig['kafka'], logger: Logger): KafkaClient => {
  const status = createStatusTracker('kafka', logger);
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
  });
  let admin: Admin | undefined;
  let unreachable: string | undefined;
  return {
    name: 'kafka',
    kafka: () => kafka,
    admin() {
      if (!admin) throw new Error('kafka admin not started');
      return admin;
    },
    async start() {
      status.set('starting');
      admin = kafka.admin({ retry: { retries: 2 } });
      try {
        await withTimeout('kafka admin connect', 15_000, admin.connect());
        // Creating only when missing keeps the broker's TOPIC_ALREADY_EXISTS out of the logs.
        if (!(await admin.listTopics()).includes(config.topic)) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: [{ topic: config.topic, numPartitions: config.partitions, replicationFactor: -1 }],
          });
        }
      } catch (error) {
        await admin.disconnect().catch(() => undefined);
        admin = undefined;
        throw new AppError(
          'SERVICE_UNAVAILABLE',
          `kafka unreachable at ${config.brokers.join(',')}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      status.set('ready');
    },
    async stop() {
      await admin?.disconnect();
      admin = undefined;
      status.set('stopped');
    },
    /**
     * Ready once started: an unreachable broker later degrades the process but does not take it
     * out of service, because the api still takes messages into the outbox and the relay pauses
     * and resumes by itself. The reason is reported by degraded().
     */
    async ready() {
      if (!admin) return false;
      try {
        await withTimeout('kafka metadata', 3000, admin.fetchTopicMetadata({ topics: [config.topic] }));
        unreachable = undefined;
        status.set('ready');
      } catch (error) {
        unreachable = (error as Error).message;
        status.set('unhealthy', unreachable);
      }
      return true;
    },
    degraded: () => (unreachable === undefined ? undefined : `broker unreachable: ${unreachable}`),
  };
};
