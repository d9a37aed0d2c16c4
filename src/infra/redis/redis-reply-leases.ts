import type { Redis } from 'ioredis';
import type { ReplyLeases } from '../../domain/chat/ports';
import { chatKeys, parseReplyLeaseMember } from './redis-keys';

/** Takes expired members and removes them in one step, so two processes never both take one. */
const TAKE_EXPIRED = `
local taken = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
if #taken > 0 then redis.call('ZREM', KEYS[1], unpack(taken)) end
return taken`;

/** ReplyLeases on one Redis sorted set per deployment (score = lease end in epoch ms). */
export const createRedisReplyLeases = (deps: { client: Redis; prefix: string }): ReplyLeases => {
  const keys = chatKeys(deps.prefix);
  const key = keys.replyLeases();
  return {
    async renew(replies, until) {
      if (replies.length === 0) return;
      await deps.client.zadd(key, ...replies.flatMap((reply) => [until.getTime(), keys.replyLeaseMember(reply)]));
    },
    async release(reply) {
      await deps.client.zrem(key, keys.replyLeaseMember(reply));
    },
    async isLeased(reply) {
      return (await deps.client.zscore(key, keys.replyLeaseMember(reply))) !== null;
    },
    async takeExpired(now, limit) {
      const taken = (await deps.client.eval(TAKE_EXPIRED, 1, key, now.getTime(), limit)) as string[];
      return taken.flatMap((member) => parseReplyLeaseMember(member) ?? []);
    },
  };
};
