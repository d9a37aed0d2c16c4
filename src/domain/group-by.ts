/**
 * Groups in input order without copying a list per element (relay batches hold thousands of
 * rows). Node 20 has no Map.groupBy (it arrives in Node 21).
 */
export const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};
