import { randomUUID } from 'node:crypto';
import { FLOWING, onBrokerUnavailable } from '../../src/domain/publishing-state';
import { createLogger } from '../../src/infra/logger';
import { createRedis } from '../../src/infra/redis/create-redis';
import {
  createRedisPublishingStatus,
  createRedisPublishingStatusReader,
} from '../../src/infra/redis/redis-publishing-status';
import { testConfig } from '../support/test-config';

describe('relay publishing state shared through Redis', () => {
  const config = testConfig();
  const logger = createLogger({ level: 'silent' });
  const redis = createRedis(config.redis, logger);
  const prefix = `${config.redis.prefix}-${randomUUID().slice(0, 8)}`;
  const relay = (owner: string, ttlMs = 60_000) =>
    createRedisPublishingStatus({ client: redis.client(), prefix, owner, ttlMs, logger });
  const reader = () => createRedisPublishingStatusReader({ client: redis.client(), prefix });
  const blockedAt = (at: string, reason: string) =>
    onBrokerUnavailable(FLOWING, { reason, now: new Date(at), policy: { baseMs: 500, capMs: 10_000 } });

  beforeAll(() => redis.start());
  afterEach(async () => {
    const keys = await redis.client().keys(`${prefix}:*`);
    if (keys.length > 0) await redis.client().del(...keys);
  });
  afterAll(() => redis.stop());

  it('reports nothing while every relay publishes', async () => {
    await expect(reader().blocked(new Date())).resolves.toBeNull();
  });

  it('shows the earliest block among relays with its reason and how many relays are blocked, until they resume', async () => {
    const early = blockedAt('2030-01-01T00:00:00.000Z', 'ECONNREFUSED');
    const late = blockedAt('2030-01-01T00:01:00.000Z', 'LEADER_NOT_AVAILABLE');
    await relay('relay-a').share({ kind: 'blocked', state: late });
    await relay('relay-b').share({ kind: 'blocked', state: early });
    await expect(reader().blocked(new Date())).resolves.toEqual({
      since: early.since,
      reason: 'ECONNREFUSED',
      relays: 2,
    });
    await relay('relay-b').share({ kind: 'resumed', blocked: early, now: new Date() });
    await expect(reader().blocked(new Date())).resolves.toEqual({
      since: late.since,
      reason: 'LEADER_NOT_AVAILABLE',
      relays: 1,
    });
    await relay('relay-a').share({ kind: 'resumed', blocked: late, now: new Date() });
    await expect(reader().blocked(new Date())).resolves.toBeNull();
  });

  it('stops reporting a relay that died blocked once its entry expires, and a later probe refreshes it', async () => {
    const state = blockedAt('2030-01-01T00:00:00.000Z', 'ECONNREFUSED');
    await relay('relay-dead', 1_000).share({ kind: 'blocked', state });
    await expect(reader().blocked(new Date(Date.now() + 2_000))).resolves.toBeNull();
    await relay('relay-dead', 60_000).share({ kind: 'still-blocked', state });
    await expect(reader().blocked(new Date(Date.now() + 2_000))).resolves.toMatchObject({ relays: 1 });
  });
});
