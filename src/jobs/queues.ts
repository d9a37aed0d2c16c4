/** Queue, job and scheduler names: one place, so producers and workers cannot disagree. */
export const RELAY_QUEUE = 'outbox-relay';

export const RELAY_JOBS = {
  /** Safety-net poll from the scheduler. */
  scan: 'scan',
  /** The relay's own delayed wake-ups (writers' commits wake it through infra/redis/redis-relay-wake.ts). */
  wake: 'wake',
  sweep: 'sweep',
  retention: 'retention',
} as const;

export const SCHEDULERS = {
  scan: 'outbox-relay-scan',
  sweep: 'outbox-sweep',
  retention: 'outbox-retention',
} as const;

/** Prefix of the relay's own delayed wake-ups (a backoff coming due, the next broker probe), one per time. */
export const FOLLOW_UP_DEDUPLICATION_ID = 'outbox-relay-follow-up';

/** Bounded job retention: Redis holds a window of history, not all of it. */
export const JOB_RETENTION = { removeOnComplete: { count: 100 }, removeOnFail: { count: 1000 } } as const;

/** Reply generation: one job per acknowledged send, its id the reply id (so enqueueing twice adds one job). */
export const GENERATE_QUEUE = 'generate';
export const GENERATE_JOB = 'reply';
