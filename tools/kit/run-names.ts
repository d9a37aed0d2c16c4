import { randomUUID } from 'node:crypto';

/** Who owns a run: a test file, a bench scenario or a chaos run. The kind starts every name, so leftovers say whose they are. */
export type RunKind = 'test' | 'bench' | 'chaos';

/** The names one run owns on the shared MariaDB, Redis and Kafka, so runs never see each other's data. */
export interface RunNames {
  /** The random part (after the label, when there is one). */
  readonly id: string;
  readonly dbName: string;
  readonly topic: string;
  readonly group: string;
  /** REDIS_PREFIX. */
  readonly prefix: string;
}

/** One set of per-run names; `label` (e.g. a bench scenario) goes into every name to tell runs of one kind apart. */
export const runNames = (kind: RunKind, label?: string): RunNames => {
  const random = randomUUID().replace(/-/g, '').slice(0, 12);
  const id = label ? `${label}_${random}` : random;
  return {
    id,
    dbName: `agent_relay_${kind}_${id}`,
    topic: `${kind}-${id}`,
    group: `${kind}-group-${id}`,
    prefix: `${kind}-${id}`,
  };
};

/** The same database URL naming another database (the run's own). */
export const withDatabaseName = (url: string, dbName: string) => {
  const parsed = new URL(url);
  parsed.pathname = `/${dbName}`;
  return parsed.toString();
};
