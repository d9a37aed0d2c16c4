/**
 * A DATETIME column's value as a Date. The MariaDB and MySQL connections of MikroORM hand raw
 * query results over with `dateStrings` ('YYYY-MM-DD HH:MM:SS.fff', in UTC: the connections' time
 * zone, `forceUtcTimezone`); `new Date(text)` would read that text in the process's local zone and
 * shift every time by its offset wherever the process does not run on UTC. A Date passes through.
 */
export const fromDatetime = (value: Date | string): Date =>
  value instanceof Date ? value : new Date(value[10] === ' ' ? `${value.slice(0, 10)}T${value.slice(11)}Z` : value);
