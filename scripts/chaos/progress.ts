import type { FaultRecord } from './faults';
import type { Control } from './infra';
import type { Ledger } from './ledger';
import { say } from './log';
import { historyCount, outboxCounts } from './quiescence';

/** One line every couple of seconds: sent, persisted, outbox by status, faults so far. */
export const startProgress = (control: Control, ledger: Ledger, faults: readonly FaultRecord[], everyMs = 2000) => {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    Promise.all([historyCount(control), outboxCounts(control)])
      .then(([persisted, counts]) => {
        const outbox = Object.entries(counts)
          .map(([status, n]) => `${status} ${n}`)
          .join(', ');
        const last = faults.at(-1);
        say(
          `sent ${ledger.sent()}, persisted ${persisted}; outbox ${outbox || 'empty'}; faults ${faults.length}${last ? ` (last: ${last.kind})` : ''}`,
        );
      })
      .catch((error: unknown) => say(`progress query failed: ${(error as Error).message}`))
      .finally(() => (busy = false));
  }, everyMs);
  return () => clearInterval(timer);
};
