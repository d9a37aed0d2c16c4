import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/identity';
import type { Clock } from '../../domain/ports/clock';
import type { Logger } from '../../domain/ports/logger';
import type { OutboxAdminStore, OutboxFilter } from '../../domain/ports/outbox-admin-store';
import type { RelayWaker } from '../../domain/ports/relay-waker';
import { requireOps } from './require-ops';

export interface ReplayDeps {
  store: OutboxAdminStore;
  waker: RelayWaker;
  clock: Clock;
  logger: Logger;
}

const MAX_BULK_REPLAY = 10_000;
/** The replay_reason column's width. */
const MAX_REASON_CHARS = 500;

/** An optional reason, trimmed; longer than its column is bad input, not a database error. */
const reasonOf = (reason: string | null | undefined): string | null => {
  const trimmed = reason?.trim();
  if (trimmed && trimmed.length > MAX_REASON_CHARS)
    throw new AppError('BAD_USER_INPUT', `reason must be at most ${MAX_REASON_CHARS} characters`);
  return trimmed || null;
};

/** replayOutboxMessage: DEAD → PENDING with attempts reset, recorded, and the relay woken. */
export const createReplayOutboxMessage =
  (deps: ReplayDeps) => async (input: { principal: Principal; id: string; reason?: string | null }) => {
    requireOps(input.principal);
    const reason = reasonOf(input.reason);
    const before = await deps.store.get(input.id);
    if (!before) throw new AppError('NOT_FOUND', `outbox message ${input.id} not found`);
    const replayed = await deps.store.replay(input.id, {
      actor: input.principal.userId,
      reason,
      now: deps.clock.now(),
    });
    if (!replayed)
      throw new AppError(
        'ILLEGAL_TRANSITION',
        `outbox message ${input.id} is ${before.status}; only DEAD messages can be replayed`,
      );
    deps.logger.info({ outboxId: input.id, actor: input.principal.userId, reason }, 'outbox message replayed');
    await deps.waker.wake().catch(() => undefined);
    return deps.store.get(input.id);
  };

/** replayOutboxMessages: every DEAD row matching the filter, up to `limit`, in id order. */
export const createReplayOutboxMessages =
  (deps: ReplayDeps) =>
  async (input: { principal: Principal; filter: OutboxFilter; limit: number; reason?: string | null }) => {
    requireOps(input.principal);
    const reason = reasonOf(input.reason);
    if (!Number.isInteger(input.limit) || input.limit < 1 || input.limit > MAX_BULK_REPLAY) {
      throw new AppError('BAD_USER_INPUT', `limit must be between 1 and ${MAX_BULK_REPLAY}`);
    }
    const replayed = await deps.store.replayMany(input.filter, input.limit, {
      actor: input.principal.userId,
      reason,
      now: deps.clock.now(),
    });
    deps.logger.info(
      { replayed, filter: input.filter, actor: input.principal.userId, reason },
      'outbox messages replayed',
    );
    if (replayed > 0) await deps.waker.wake().catch(() => undefined);
    return { replayed };
  };
