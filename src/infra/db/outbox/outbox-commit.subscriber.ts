import {
  ChangeSetType,
  type EventSubscriber,
  type FlushEventArgs,
  type TransactionEventArgs,
  type UnitOfWork,
} from '@mikro-orm/core';
import { OutboxMessageEntity } from '../entities/outbox-message.entity';

const insertsOutbox = (uow: UnitOfWork) =>
  uow.getChangeSets().some((cs) => cs.type === ChangeSetType.CREATE && cs.entity instanceof OutboxMessageEntity);

/**
 * A nested `em.transactional` runs on a savepoint whose commit is not the real one; MikroORM links
 * it to its parent under a private symbol (the same one its own root check looks for).
 */
const rootTransaction = (trx: object): object => {
  const parent = Object.getOwnPropertySymbols(trx).find((symbol) => symbol.description === 'parentTransaction');
  return parent ? rootTransaction((trx as Record<symbol, object>)[parent] as object) : trx;
};

/**
 * Calls `onCommit` once after each database commit that inserted outbox rows (rows enlisted with
 * enqueueOutbox, or any persisted OutboxMessageEntity), never after a rollback. Two cases:
 * - a flush inside the caller's transaction: onFlush marks that (root) transaction, and its
 *   afterTransactionCommit fires the callback;
 * - a flush outside one: MikroORM wraps the flush in its own transaction, whose commit event
 *   carries the unit of work, so the change sets say whether outbox rows went in.
 * `onCommit` must not throw or block: it runs inside MikroORM's commit path.
 */
export const createOutboxCommitSubscriber = (onCommit: () => void): EventSubscriber => {
  const marked = new WeakSet<object>();
  return {
    onFlush({ em, uow }: FlushEventArgs) {
      const trx = em.getTransactionContext<object>();
      if (trx && insertsOutbox(uow)) marked.add(rootTransaction(trx));
    },
    afterTransactionCommit({ transaction, uow }: TransactionEventArgs) {
      if (transaction && marked.has(transaction)) {
        marked.delete(transaction);
        onCommit();
      } else if (uow && insertsOutbox(uow)) {
        onCommit();
      }
    },
    afterTransactionRollback({ transaction }: TransactionEventArgs) {
      if (transaction) marked.delete(transaction);
    },
  };
};
