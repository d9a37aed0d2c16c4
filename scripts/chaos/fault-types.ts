/**
 * The fault run's shared declarations: which faults exist, what each leaves on record, and what a
 * fault needs. In a module of their own so faults.ts and outage-faults.ts import them one way.
 */
import type { ChaosEnv } from './env';
import type { Control } from './infra';
import type { ChaosProxies } from './proxies';
import type { Rng } from './rng';
import type { Service } from './services';
import type { Subscribers } from './subscribers';

/** Short faults: a moment's damage, recovered in seconds. The long run repeats them. */
export const SHORT_FAULT_KINDS = [
  'relay-kill',
  'relay-kill-claimed',
  'consumer-kill',
  'kafka-outage',
  'db-kill',
  'redis-flush',
] as const;
/** The faults production has every week (issue 12): outages longer than any retry schedule, a stalled consumer, a dead generator. */
const LONG_FAULT_KINDS = ['broker-outage', 'db-outage', 'redis-outage', 'consumer-stall', 'reply-kill'] as const;
export const FAULT_KINDS = [...SHORT_FAULT_KINDS, ...LONG_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRecord {
  readonly kind: FaultKind;
  /** When the fault struck (epoch ms): the SIGKILL, the broker gone, the KILLs, the FLUSHDB. */
  at: number;
  /** When the fault's own recovery action finished (process restarted and ready, broker back); 0 until then. */
  endedAt: number;
  detail: string;
  /** The harness could not carry the fault out (e.g. a restart failed): the run fails. */
  failed?: boolean;
  /** Outbox rows a killed relay held claimed: they wait for their lease to expire. */
  orphanIds?: number[];
  /** Filled in after the run: first CONSUMED row created at or after `at`, minus `at`. */
  recoveryMs?: number | null;
  /** Filled in after the run: when the last orphaned row reached CONSUMED, minus `at`. */
  orphansConsumedMs?: number | null;
  /** Outages: how long the service was cut off (broker stopped, proxy cut), in ms. */
  downMs?: number;
  /** consumer-stall: the window and what the database said was published meanwhile. */
  stall?: StallWindow;
  /** Filled in after the run, for outages: every row created before the service returned was CONSUMED this long after (null: not all). */
  historyCompleteMs?: number | null;
  /** reply-kill: a subscriber was seeing the reply stream when the process died. */
  midStream?: boolean;
}

export interface FaultDeps {
  readonly env: ChaosEnv;
  readonly rng: Rng;
  readonly control: Control;
  readonly relays: readonly Service[];
  readonly consumer: Service;
  /** The processes that generate replies (the api, or generator processes where that role exists). */
  readonly generators: readonly Service[];
  /** The name of the process that logged it was generating a reply (services that log "generating reply"). */
  readonly generatorOf: (replyId: string) => string | undefined;
  readonly everyService: readonly Service[];
  readonly proxies: ChaosProxies;
  readonly subscribers: Subscribers;
  readonly timings: OutageTimings;
  readonly flushRedis: () => Promise<void>;
  readonly signal: AbortSignal;
}

/**
 * History must be complete this soon after the database or Redis returns (the scenario's
 * default bound, OutageTimings.serviceReturnBoundMs): without a bound, a pipeline that crawled back
 * over many minutes would pass as long as it got there before the verdict.
 */
export const SERVICE_RETURN_BOUND_MS = 60_000;

export interface OutageTimings {
  /** The broker stopped for longer than the relay's whole retry schedule. */
  readonly brokerOutageMs: number;
  /** The database, then Redis, cut off at the proxy. */
  readonly serviceOutageMs: number;
  /** History must be complete this soon after the database or Redis returns (the verdict's bound). */
  readonly serviceReturnBoundMs: number;
  /** The consumer frozen for longer than RELAY_SWEEP_AFTER_MS (plus sweeper rounds, every 5 s). */
  readonly stallMs: number;
}

interface StallWindow {
  readonly from: number;
  readonly thawAt: number;
  /** Every row created before the thaw reached CONSUMED (null: not within the bound). */
  readonly caughtUpAt: number | null;
  /** PUBLISHED rows at the freeze and at the thaw: their records must already be on the topic. */
  readonly published: readonly PublishedRow[];
}

/** A row the database called PUBLISHED during the stall, and when it was seen so. */
export interface PublishedRow {
  readonly eventId: string;
  readonly seenAt: number;
}
