import { CLAIMED_SQL } from '../../src/tooling';
import { chaosStack, restartOwnBroker } from './infra';
import { say, sleep } from './log';
import { createOutageActions } from './outage-faults';
import type { Rng } from './rng';
import type { Service } from './services';

import { FAULT_KINDS, SHORT_FAULT_KINDS, type FaultDeps, type FaultKind, type FaultRecord } from './fault-types';

export { FAULT_KINDS, SHORT_FAULT_KINDS, type FaultDeps, type FaultRecord } from './fault-types';

/**
 * Every kind once in random order (so even a quick run sees each), then for long runs one
 * short fault per minute more. Times are offsets from the start of traffic and only a
 * lower bound: faults run one after another, so one follows a long outage once it ended.
 */
export const planFaults = (rng: Rng, durationMs: number, quick: boolean) => {
  const extra = quick ? 0 : Math.floor(durationMs / 60_000);
  const kinds: FaultKind[] = [
    ...rng.shuffle(FAULT_KINDS),
    ...Array.from({ length: extra }, () => rng.pick(SHORT_FAULT_KINDS)),
  ];
  const first = Math.min(3000, durationMs * 0.1);
  const slot = (durationMs * 0.8 - first) / kinds.length;
  return kinds.map((kind, i) => ({ kind, atMs: Math.round(first + slot * i + rng.between(0, slot * 0.5)) }));
};

/** Stops the broker for 3-6 s, then starts it again. */
const stopBrokerAWhile = async (deps: FaultDeps, record: FaultRecord) => {
  const asked = Date.now();
  await chaosStack(deps.env, 'kafka:stop');
  record.at = Date.now();
  const downMs = Math.round(deps.rng.between(3000, 6000));
  await sleep(downMs);
  await restartOwnBroker(deps.env);
  record.endedAt = Date.now();
  record.detail = `broker stopped (${record.at - asked} ms to stop), down ${(downMs / 1000).toFixed(1)} s, back after ${record.endedAt - record.at} ms`;
};

/** KILLs every connection to the run's database but the control connection's own. */
const killDatabaseConnections = async (deps: FaultDeps, record: FaultRecord) => {
  const { control } = deps;
  const ids = await control.query<{ id: number }>(
    'SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()',
    [deps.env.dbName],
  );
  record.at = Date.now();
  let killed = 0;
  for (const { id } of ids) {
    // A connection may close by itself meanwhile ("Unknown thread id"): not a failure.
    await control.query(`KILL ${Number(id)}`).then(
      () => (killed += 1),
      () => undefined,
    );
  }
  record.endedAt = Date.now();
  record.detail = `killed ${killed} of ${ids.length} connection(s) to ${deps.env.dbName}`;
};

/**
 * Faults strike one after another; a killed process restarts in the background (after a short
 * pause) so the next fault need not wait for it. A service is never struck while it restarts.
 */
const createFaultActions = (deps: FaultDeps) => {
  const restarting = new Map<Service, Promise<void>>();
  const { control } = deps;

  const settled = async (service: Service) => {
    await restarting.get(service);
  };
  const restartLater = (service: Service, record: FaultRecord) => {
    const restart = sleep(Math.round(deps.rng.between(300, 2000)))
      .then(() => service.start())
      .then(
        (attempts) => {
          record.endedAt = Date.now();
          if (attempts > 1) record.detail += `; the restart took ${attempts} launches (a dependency was down)`;
        },
        (error: unknown) => {
          record.failed = true;
          record.endedAt = Date.now();
          record.detail += `; restart failed: ${(error as Error).message.split('\n')[0]}`;
        },
      )
      .finally(() => restarting.delete(service));
    restarting.set(service, restart);
  };
  const idleRelay = async () => {
    const idle = deps.relays.filter((r) => !restarting.has(r));
    if (idle.length > 0) return deps.rng.pick(idle);
    await Promise.race(restarting.values());
    return idleRelay();
  };
  const killAndRestart = async (service: Service, record: FaultRecord) => {
    await settled(service);
    record.at = Date.now();
    await service.kill();
    restartLater(service, record);
  };

  const claimedBy = (owner: string) =>
    control.query<{ id: number }>(
      `SELECT id FROM ${control.t('outbox_messages')} WHERE status = 'PENDING' AND ${CLAIMED_SQL} AND claim_owner = ?`,
      [owner],
    );

  /**
   * SIGKILL a relay between claim and ack: when a relay holds claimed PENDING rows, freeze it
   * (SIGSTOP), look again, and kill it only if it still holds them; otherwise let it go on
   * (SIGCONT, a pause of a few ms) and try again. The rows it dies holding wait for their lease.
   */
  const killRelayHoldingClaim = async (record: FaultRecord) => {
    await Promise.all(deps.relays.map(settled));
    const deadline = Date.now() + 20_000;
    let misses = 0;
    while (Date.now() < deadline && !deps.signal.aborted) {
      const owners = await control.query<{ claim_owner: string }>(
        `SELECT DISTINCT claim_owner FROM ${control.t('outbox_messages')} WHERE status = 'PENDING' AND ${CLAIMED_SQL}`,
      );
      for (const { claim_owner: owner } of owners) {
        const relay = deps.relays.find((r) => r.alive() && owner.includes(`:${r.pid()}:`));
        if (!relay) continue;
        relay.freeze();
        let held: { id: number }[] = [];
        try {
          held = await claimedBy(owner);
        } finally {
          if (held.length === 0) relay.thaw();
        }
        if (held.length === 0) {
          misses += 1;
          continue;
        }
        await killAndRestart(relay, record);
        record.orphanIds = held.map((o) => Number(o.id));
        record.detail = `${relay.name} SIGKILLed holding ${held.length} claimed, unacked row(s) (${misses} near misses before)`;
        return;
      }
      await sleep(2);
    }
    const relay = await idleRelay();
    await killAndRestart(relay, record);
    record.detail = `no relay caught holding a claim within 20 s (${misses} near misses); ${relay.name} SIGKILLed at random instead`;
  };

  const actions: Record<(typeof SHORT_FAULT_KINDS)[number], (record: FaultRecord) => Promise<void>> = {
    async 'relay-kill'(record) {
      const relay = await idleRelay();
      await killAndRestart(relay, record);
      record.detail = `${relay.name} SIGKILLed, restarting`;
    },
    'relay-kill-claimed': killRelayHoldingClaim,
    async 'consumer-kill'(record) {
      await killAndRestart(deps.consumer, record);
      record.detail = 'consumer SIGKILLed, restarting (its partitions wait for the old session to time out)';
    },
    'kafka-outage': (record) => stopBrokerAWhile(deps, record),
    'db-kill': (record) => killDatabaseConnections(deps, record),
    async 'redis-flush'(record) {
      record.at = Date.now();
      await deps.flushRedis();
      record.endedAt = Date.now();
      record.detail = `FLUSHDB on Redis index ${deps.env.redisDb} (queues, schedulers, caches, reply streams gone)`;
    },
  };
  const allSettled = () => Promise.all(deps.everyService.map(settled));
  const outages = createOutageActions(deps, { allSettled, killAndRestart });
  return { actions: { ...actions, ...outages }, restarts: () => Promise.all(restarting.values()) };
};

const GAP_MS = 2_000;

/** Runs the plan, one fault at a time, then waits for the last restarts. */
export const runFaults = async (
  plan: ReturnType<typeof planFaults>,
  deps: FaultDeps,
  startedAt: number,
  records: FaultRecord[],
) => {
  const { actions, restarts } = createFaultActions(deps);
  let lastEnded = 0;
  for (const step of plan) {
    // A short breath after each fault, so each one's recovery shows on its own.
    const wait = Math.max(startedAt + step.atMs, lastEnded + GAP_MS) - Date.now();
    if (wait > 0) await sleep(wait);
    if (deps.signal.aborted) break;
    const record: FaultRecord = { kind: step.kind, at: Date.now(), endedAt: 0, detail: '' };
    records.push(record);
    const n = records.length;
    try {
      await actions[step.kind](record);
    } catch (error) {
      record.failed = true;
      record.endedAt = Date.now();
      record.detail = `fault action failed: ${(error as Error).message.split('\n')[0]}`;
    }
    lastEnded = Date.now();
    say(`fault #${n}: ${step.kind} — ${record.detail}`);
  }
  await restarts();
};
