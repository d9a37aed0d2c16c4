import { AppError } from './errors';

export const OUTBOX_STATUSES = ['PENDING', 'PUBLISHED', 'CONSUMED', 'DEAD', 'DISCARDED'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Why a row moves. Each event names exactly the states it may leave. */
export type OutboxEvent =
  | 'PUBLISH_ACK' // relay: Kafka acknowledged the batch
  | 'PUBLISH_FAILED' // relay: attempt failed, attempts remain
  | 'GIVE_UP' // relay: attempts exhausted or the row cannot be published
  | 'CONSUME' // consumer: history row written
  | 'POISON' // consumer: the record cannot be decoded or applied
  | 'SWEEP' // sweeper: published but not consumed in time
  | 'REPLAY' // ops: dead row sent round again
  | 'DISCARD'; // ops: dead row given up for good, with a reason

/**
 * The source states of every event. SQL guards are built from this table, so the
 * WHERE clause of each UPDATE names the states it may leave — MySQL/MariaDB report
 * rows matched, not changed, so "status <> X" guards would hide lost races.
 */
export const SOURCE_STATES: Readonly<Record<OutboxEvent, readonly OutboxStatus[]>> = {
  PUBLISH_ACK: ['PENDING'],
  PUBLISH_FAILED: ['PENDING'],
  GIVE_UP: ['PENDING'],
  CONSUME: ['PENDING', 'PUBLISHED', 'DEAD'],
  POISON: ['PENDING', 'PUBLISHED'],
  SWEEP: ['PUBLISHED'],
  REPLAY: ['DEAD'],
  DISCARD: ['DEAD'],
};

export const targetState = (event: OutboxEvent): OutboxStatus => {
  switch (event) {
    case 'PUBLISH_ACK':
      return 'PUBLISHED';
    case 'PUBLISH_FAILED':
    case 'SWEEP':
    case 'REPLAY':
      return 'PENDING';
    case 'GIVE_UP':
    case 'POISON':
      return 'DEAD';
    case 'CONSUME':
      return 'CONSUMED';
    case 'DISCARD':
      return 'DISCARDED';
    default: {
      const unreachable: never = event;
      throw new Error(`unknown outbox event ${String(unreachable)}`);
    }
  }
};

const canApply = (from: OutboxStatus, event: OutboxEvent): boolean => SOURCE_STATES[event].includes(from);

/** Pure transition: the next status, or ILLEGAL_TRANSITION. CONSUMED is final. */
export const transition = (from: OutboxStatus, event: OutboxEvent): OutboxStatus => {
  if (!canApply(from, event)) {
    throw new AppError('ILLEGAL_TRANSITION', `outbox row in ${from} cannot take ${event}`);
  }
  return targetState(event);
};
