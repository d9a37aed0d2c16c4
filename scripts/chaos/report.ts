import type { FaultRecord } from './faults';
import { elapsed } from './log';
import type { UnexpectedExit } from './services';
import type { Verdict } from './verify';

const SHOW = 15;

const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

export const faultsTable = (faults: readonly FaultRecord[]) =>
  table(
    ['#', 'kind', 'at', 'took ms', 'recovery ms', 'detail'],
    faults.map((f, i) => [
      String(i + 1),
      f.kind,
      `+${elapsed(f.at)}s`,
      String(f.endedAt - f.at),
      f.recoveryMs == null ? 'never' : String(f.recoveryMs),
      f.detail,
    ]),
  );

const section = (title: string, lines: readonly string[]) =>
  lines.length === 0
    ? []
    : [
        `${title} (${lines.length}):`,
        ...lines.slice(0, SHOW).map((l) => `  ${l}`),
        ...(lines.length > SHOW ? [`  … and ${lines.length - SHOW} more`] : []),
      ];

/** The verdict's counts, and for each failing check its first lines. Returns whether the run passed. */
export const printVerdict = (
  verdict: Verdict,
  extra: { unexpectedExits: readonly UnexpectedExit[]; failedFaults: readonly FaultRecord[]; settled: boolean },
) => {
  const s = verdict.stats;
  const crashes = extra.unexpectedExits.filter((e) => !e.graceful);
  const outsideStops = extra.unexpectedExits.filter((e) => e.graceful);
  const counts = [
    ['lost', verdict.lost.length],
    ['duplicated', verdict.duplicated.length],
    ['order inversions', verdict.inversions.length],
    ['unexplained non-CONSUMED rows', verdict.unexplainedRows.length],
    ['DEAD rows', verdict.deadRows.length],
    ['anomalies', verdict.anomalies.length],
    ['process crashes', crashes.length],
    ['fault actions that failed', extra.failedFaults.length],
  ] as const;
  console.log(
    `history rows ${s.historyRows}; ledger: ${s.confirmed} confirmed, ${s.replies} expected replies, ${s.unsure} unsure writes (${s.unsureCommitted} had committed); Kafka redeliveries (deduplicated by the consumer): ${s.redeliveries}`,
  );
  console.log(counts.map(([name, n]) => `${name}: ${n}`).join(', '));
  if (verdict.lost.length) {
    const where = new Map<string, number>();
    for (const line of verdict.lost) {
      const state = /\(outbox row \d+ ([^:)]+)/.exec(line)?.[1] ?? 'no outbox row left behind';
      where.set(state, (where.get(state) ?? 0) + 1);
    }
    console.log(`lost, by where the outbox row stopped: ${[...where].map(([state, n]) => `${state} ${n}`).join('; ')}`);
  }
  const details = [
    ...section('LOST', verdict.lost),
    ...section('DUPLICATED', verdict.duplicated),
    ...section('ORDER INVERSIONS', verdict.inversions),
    ...section('NOT CONSUMED', verdict.unexplainedRows),
    ...section('DEAD', verdict.deadRows),
    ...section('ANOMALIES', verdict.anomalies),
    ...section(
      'CRASHES',
      crashes.map(
        (e) =>
          `${e.service} exited (code ${e.code}, signal ${e.signal}) at +${elapsed(e.at)}s; log tail:\n${e.logTail}`,
      ),
    ),
    ...section(
      'FAILED FAULT ACTIONS',
      extra.failedFaults.map((f) => `${f.kind}: ${f.detail}`),
    ),
  ];
  if (details.length) console.log(details.join('\n'));
  for (const e of outsideStops)
    console.log(
      `note: ${e.service} was stopped from outside this run (SIGTERM, exit 0) at +${elapsed(e.at)}s and restarted; not counted as a crash`,
    );
  if (!extra.settled) console.log('the pipeline did not settle within the bound (see NOT CONSUMED)');
  return counts.every(([, n]) => n === 0);
};
