import type { IdGenerator } from '../../../src/domain/ports/id-generator';

/** The n-th RFC 4122 (version 4, variant 10) UUID of a sequence: predictable and valid. */
export const sequentialUuid = (n: number, prefix = 0): string => {
  const head = prefix.toString(16).padStart(8, '0').slice(-8);
  const tail = n.toString(16).padStart(12, '0').slice(-12);
  return `${head}-0000-4000-8000-${tail}`;
};

export interface SequentialIds extends IdGenerator {
  readonly issued: readonly string[];
}

/** Hands out sequentialUuid(1), (2), …; `prefix` keeps two generators from colliding. */
export const createSequentialIds = (prefix = 0): SequentialIds => {
  const issued: string[] = [];
  return {
    issued,
    uuid() {
      const id = sequentialUuid(issued.length + 1, prefix);
      issued.push(id);
      return id;
    },
  };
};
