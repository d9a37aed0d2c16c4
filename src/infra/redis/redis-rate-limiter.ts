import type { Redis } from 'ioredis';
import type { RateLimiter } from '../../domain/ports/rate-limiter';

/**
 * Fixed-window counter in Redis (INCR + PEXPIRE in one MULTI), so the limit holds across API
 * instances. A window boundary can let up to twice the limit through in a short burst; that is
 * the accepted price of one round trip per check.
 */
export const createRedisRateLimiter = (deps: {
  client: Redis;
  prefix: string;
  name: string;
  limit: number;
  windowMs: number;
}): RateLimiter => ({
  async consume(key) {
    const now = Date.now();
    const window = Math.floor(now / deps.windowMs);
    const redisKey = `${deps.prefix}:rl:${deps.name}:${key}:${window}`;
    const results = await deps.client
      .multi()
      .incr(redisKey)
      .pexpire(redisKey, deps.windowMs * 2)
      .exec();
    const count = Number(results?.[0]?.[1] ?? 0);
    return { allowed: count <= deps.limit, retryAfterSeconds: Math.ceil(((window + 1) * deps.windowMs - now) / 1000) };
  },
});
