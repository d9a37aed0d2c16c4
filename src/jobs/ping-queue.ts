import type { Queue } from 'bullmq';
import { withTimeout } from '../infra/lifecycle';

/** Readiness of a BullMQ component: one cheap command on its own connection answers in time. */
export const pingQueue = async (queue: Queue): Promise<boolean> => {
  try {
    await withTimeout('bullmq readiness', 1000, queue.count());
    return true;
  } catch {
    return false;
  }
};
