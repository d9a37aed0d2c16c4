import type { Scheduler } from '../../../src/domain/ports/scheduler';

export interface FakeScheduler extends Scheduler {
  /** Every sleep asked for, in ms, in the order asked. */
  readonly sleeps: number[];
  /** Moves time forward by `ms`, waking sleeps and running `every` tasks as they fall due, in time order. */
  advance(ms: number): Promise<void>;
  /** Sleeps asked for and not yet woken (nor aborted). */
  pendingSleeps(): number;
}

interface Timer {
  at: number;
  fire: () => void;
  /** Set for `every`: when it fires it is due again this much later. */
  repeatMs?: number;
}

/** Lets the code a woken sleep resumes run (and ask for its next sleep) before time moves on. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock and timers that move only when a test moves them (`advance`), or, with `autoAdvance`,
 * by exactly what each sleep asks for, at once: code that backs off or polls runs in no real time
 * and the test can assert the waits it asked for.
 */
export const createFakeScheduler = (options: { start?: Date; autoAdvance?: boolean } = {}): FakeScheduler => {
  let current = (options.start ?? new Date('2030-01-01T00:00:00.000Z')).getTime();
  const timers = new Set<Timer>();
  const sleeps: number[] = [];
  const nextDue = (until: number) => [...timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
  const fire = (timer: Timer) => {
    current = Math.max(current, timer.at);
    if (timer.repeatMs === undefined) timers.delete(timer);
    else timer.at += Math.max(1, timer.repeatMs);
    timer.fire();
  };
  const runUntil = (until: number) => {
    for (let due = nextDue(until); due; due = nextDue(until)) fire(due);
    current = Math.max(current, until);
  };
  return {
    sleeps,
    now: () => new Date(current),
    sleep(ms, signal) {
      sleeps.push(ms);
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const timer: Timer = {
          at: current + Math.max(0, ms),
          fire: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          timers.delete(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        timers.add(timer);
        if (options.autoAdvance) runUntil(timer.at);
      });
    },
    every(ms, task) {
      const timer: Timer = { at: current + ms, fire: task, repeatMs: ms };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    async advance(ms) {
      const until = current + ms;
      await settle();
      for (let due = nextDue(until); due; due = nextDue(until)) {
        fire(due);
        await settle();
      }
      current = until;
    },
    pendingSleeps: () => [...timers].filter((t) => t.repeatMs === undefined).length,
  };
};
