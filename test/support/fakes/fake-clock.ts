import type { Clock } from '../../../src/domain/ports/clock';

export interface FakeClock extends Clock {
  advance(ms: number): Date;
  set(at: Date): void;
}

/** A clock that only moves when a test moves it. */
export const createFakeClock = (start: Date = new Date('2030-01-01T00:00:00.000Z')): FakeClock => {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
      return new Date(current);
    },
    set(at) {
      current = at.getTime();
    },
  };
};
