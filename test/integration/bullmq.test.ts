import { Queue, QueueEvents, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/infra/logger';
import { createRedis } from '../../src/infra/redis/create-redis';
import { testConfig } from '../support/test-config';

describe('BullMQ on the real Redis', () => {
  const config = testConfig();
  const redis = createRedis(config.redis, createLogger({ level: 'silent' }));
  const queueName = `test-${randomUUID()}`;
  let queue: Queue;
  let events: QueueEvents;
  let worker: Worker;

  beforeAll(async () => {
    await redis.start();
    const connection = redis.workerConnection();
    queue = new Queue(queueName, { connection, prefix: config.redis.prefix });
    events = new QueueEvents(queueName, { connection, prefix: config.redis.prefix });
    worker = new Worker(queueName, async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), {
      connection,
      prefix: config.redis.prefix,
    });
    await Promise.all([events.waitUntilReady(), worker.waitUntilReady()]);
  });
  afterAll(async () => {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.stop();
  });

  it('runs a job to completion and returns its result', async () => {
    const job = await queue.add('double', { n: 21 });
    await expect(job.waitUntilFinished(events, 10_000)).resolves.toEqual({ doubled: 42 });
  });

  it('keeps jobs under the configured prefix', async () => {
    const keys = await redis.client().keys(`${config.redis.prefix}:${queueName}:*`);
    expect(keys.length).toBeGreaterThan(0);
  });
});
