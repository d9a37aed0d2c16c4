/** Time as a dependency, so policies and use cases are testable without fake timers. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
