import { randomUUID } from 'node:crypto';
import { createLogger } from '../../src/infra/logger';
import { createRedis } from '../../src/infra/redis/create-redis';
import { createRedisReplyLeases } from '../../src/infra/redis/redis-reply-leases';
import { testConfig } from '../support/test-config';

describe('Redis reply leases', () => {
  const config = testConfig();
  const redis = createRedis(config.redis, createLogger({ level: 'silent' }));
  const leases = () => createRedisReplyLeases({ client: redis.client(), prefix: config.redis.prefix });
  const aReply = () => ({ userId: `user-${randomUUID()}`, conversationId: randomUUID(), replyId: randomUUID() });
  const past = () => new Date(Date.now() - 1_000);
  const future = () => new Date(Date.now() + 60_000);

  beforeAll(() => redis.start());
  afterAll(async () => {
    const keys = await redis.client().keys(`${config.redis.prefix}:*`);
    if (keys.length > 0) await redis.client().del(...keys);
    await redis.stop();
  });

  it('hands out only expired leases, removes what it hands out, and forgets released ones', async () => {
    const [expired, live, released] = [aReply(), aReply(), aReply()];
    await leases().renew([expired, released], past());
    await leases().renew([live], future());
    await leases().release(released);
    await expect(leases().takeExpired(new Date(), 10)).resolves.toEqual([expired]);
    await expect(leases().takeExpired(new Date(), 10)).resolves.toEqual([]);
  });

  it('a renewal moves the lease end: a renewed reply is no longer expired', async () => {
    const reply = aReply();
    await leases().renew([reply], past());
    await leases().renew([reply], future());
    await expect(leases().takeExpired(new Date(), 10)).resolves.toEqual([]);
    await leases().release(reply);
  });

  it('gives each expired lease to exactly one of many concurrent sweepers, at most `limit` at a time', async () => {
    const replies = Array.from({ length: 30 }, aReply);
    await leases().renew(replies, past());
    const takes = await Promise.all(Array.from({ length: 6 }, () => leases().takeExpired(new Date(), 4)));
    expect(takes.every((t) => t.length <= 4)).toBe(true);
    const rest = [];
    for (let batch = await leases().takeExpired(new Date(), 100); batch.length > 0; batch = await leases().takeExpired(new Date(), 100)) rest.push(...batch);
    const all = [...takes.flat(), ...rest].map((r) => r.replyId).sort();
    expect(all).toEqual(replies.map((r) => r.replyId).sort());
  });
});
