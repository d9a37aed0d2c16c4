import type { Principal } from '../../domain/identity';
import type { OutboxAdminStore, OutboxFilter } from '../../domain/ports/outbox-admin-store';
import { requireOps } from './require-ops';

/** outboxMessages: newest first, stable id cursors. */
export const createListOutboxMessages =
  (deps: { store: OutboxAdminStore }) =>
  async (input: { principal: Principal; filter: OutboxFilter; first: number; after?: string }) => {
    requireOps(input.principal);
    return deps.store.list({ filter: input.filter, first: input.first, after: input.after });
  };
