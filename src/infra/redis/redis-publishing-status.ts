import type { Redis } from 'ioredis';
import type { Logger } from '../../domain/ports/logger';
import type {
  PublishingBlock,
  PublishingChange,
  PublishingObserver,
  PublishingStatusReader,
} from '../../domain/ports/publishing-status';

/**
 * Relays may run in other processes than the API that answers `outboxStats`, so each relay
 * shares its publishing state in one Redis hash: field = relay owner, value = since, reason and
 * an expiry. A relay writes its field when it becomes blocked and on every failed probe (which
 * comes at most the probe backoff cap apart), and deletes it when it resumes. Readers skip
 * fields past their expiry, so a relay that died while blocked stops being reported; the whole
 * key expires too, so nothing lingers once every relay is gone. Redis rather than a table:
 * this is soft, self-expiring state that must not add writes to the outbox database.
 */
const blockedKey = (prefix: string) => `${prefix}:relay:publishing-blocked`;

interface Entry {
  since: string;
  reason: string;
  expiresAt: number;
}

export const createRedisPublishingStatus = (deps: {
  client: Redis;
  prefix: string;
  owner: string;
  ttlMs: number;
  logger: Logger;
}) => {
  const key = blockedKey(deps.prefix);
  const write = async (change: PublishingChange) => {
    if (change.kind === 'resumed') {
      await deps.client.hdel(key, deps.owner);
      return;
    }
    const entry: Entry = {
      since: change.state.since.toISOString(),
      reason: change.state.reason,
      expiresAt: Date.now() + deps.ttlMs,
    };
    await deps.client.multi().hset(key, deps.owner, JSON.stringify(entry)).pexpire(key, deps.ttlMs).exec();
  };
  /** Best effort: Redis being down must not stop the relay, and the next change writes again. */
  const observe: PublishingObserver = (change) => {
    write(change).catch((error: unknown) =>
      deps.logger.warn({ err: error }, 'could not share the relay publishing state in Redis'),
    );
  };
  /** `share` is the awaited write (tests); `observe` is the relay's fire-and-forget observer. */
  return { observe, share: write };
};

export const createRedisPublishingStatusReader = (deps: { client: Redis; prefix: string }): PublishingStatusReader => ({
  async blocked(now) {
    const fields = await deps.client.hgetall(blockedKey(deps.prefix));
    const live = Object.values(fields)
      .map((value) => JSON.parse(value) as Entry)
      .filter((entry) => entry.expiresAt > now.getTime())
      .sort((a, b) => Date.parse(a.since) - Date.parse(b.since));
    const [first] = live;
    const block: PublishingBlock | null = first
      ? { since: new Date(first.since), reason: first.reason, relays: live.length }
      : null;
    return block;
  },
});
