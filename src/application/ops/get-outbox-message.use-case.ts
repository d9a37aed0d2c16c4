import type { Principal } from '../../domain/identity';
import type { OutboxAdminStore } from '../../domain/ports/outbox-admin-store';
import { requireOps } from './require-ops';

export const createGetOutboxMessage =
  (deps: { store: OutboxAdminStore }) => async (input: { principal: Principal; id: string }) => {
    requireOps(input.principal);
    return deps.store.get(input.id);
  };
