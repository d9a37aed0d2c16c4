import type { Principal } from '../../domain/identity';
import type { Clock } from '../../domain/ports/clock';
import type { OutboxAdminStore } from '../../domain/ports/outbox-admin-store';
import { requireOps } from './require-ops';

export const createOutboxStats =
  (deps: { store: OutboxAdminStore; clock: Clock }) =>
  async (input: { principal: Principal }) => {
    requireOps(input.principal);
    return deps.store.stats(deps.clock.now());
  };
