import { AppError } from '../../domain/errors';
import type { Principal } from '../../domain/identity';
import type { Clock } from '../../domain/ports/clock';
import type { Logger } from '../../domain/ports/logger';
import type { OutboxAdminStore } from '../../domain/ports/outbox-admin-store';
import { requireOps } from './require-ops';

/** discardOutboxMessage: DEAD → DISCARDED (final), with who, when and why. */
export const createDiscardOutboxMessage =
  (deps: { store: OutboxAdminStore; clock: Clock; logger: Logger }) =>
  async (input: { principal: Principal; id: string; reason: string }) => {
    requireOps(input.principal);
    const reason = input.reason.trim();
    if (!reason || reason.length > 500) throw new AppError('BAD_USER_INPUT', 'reason must be 1 to 500 characters');
    const before = await deps.store.get(input.id);
    if (!before) throw new AppError('NOT_FOUND', `outbox message ${input.id} not found`);
    if (!(await deps.store.discard(input.id, { actor: input.principal.userId, reason, now: deps.clock.now() }))) {
      throw new AppError(
        'ILLEGAL_TRANSITION',
        `outbox message ${input.id} is ${before.status}; only DEAD messages can be discarded`,
      );
    }
    deps.logger.info({ outboxId: input.id, actor: input.principal.userId, reason }, 'outbox message discarded');
    return deps.store.get(input.id);
  };
