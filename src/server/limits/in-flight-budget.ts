/**
 * Response data each user's operations in flight may hold at once, per API process: the byte
 * budget bounds one operation, this bounds a user's parallel copies of it. Ten copies of the
 * largest page the budget lets through, sent at once, held 627 MB of RSS in the abuse bench;
 * with this, one runs and the others are refused at once.
 */
export interface InFlightBudget {
  /**
   * Reserves `bytes` for the user until the returned release is called (it may be called more
   * than once). Undefined when the user already holds some and `bytes` more would pass the limit;
   * a user holding nothing may always start one operation (its size is checked on its own).
   */
  reserve(userId: string, bytes: number): (() => void) | undefined;
}

export const createInFlightBudget = (maxBytesPerUser: number): InFlightBudget => {
  const held = new Map<string, number>();
  return {
    reserve(userId, bytes) {
      const holding = held.get(userId) ?? 0;
      if (holding > 0 && holding + bytes > maxBytesPerUser) return undefined;
      if (bytes === 0) return () => undefined;
      held.set(userId, holding + bytes);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(userId) ?? 0) - bytes;
        if (left > 0) held.set(userId, left);
        else held.delete(userId);
      };
    },
  };
};
