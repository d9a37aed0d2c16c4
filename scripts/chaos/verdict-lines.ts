import { SERVICE_RETURN_BOUND_MS } from './fault-types';
import type { FaultRecord } from './faults';
import type { Ledger } from './ledger';
import type { DeliveredEvent } from './readback';
import type { UnexpectedExit } from './services';
import type { Watch } from './subscribers';
import type { Evidence, Verdict } from './verify';

/** One line of the verdict: which fault (or "all"), the figure measured, and whether it passed. */
export interface VerdictLine {
  readonly fault: string;
  readonly figure: string;
  readonly pass: boolean;
}

/** History must be complete this soon after the broker returns (issue 12, with default settings). */
export const BROKER_RETURN_BOUND_MS = 30_000;

/** A call failing this long after an outage ended still counts as the outage's. */
const OUTAGE_TAIL_MS = 20_000;

const seconds = (ms: number | null | undefined) => (ms == null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const inWindow = (at: number, from: number, to: number) => at >= from && at <= to;

/**
 * Messages the pipeline lost: the verdict's lost entries except replies never generated (the
 * reply-kill line counts those). A reply that was written and then lost still counts here, as
 * the gap its seq leaves.
 */
const pipelineLost = (verdict: Pick<Verdict, 'lost'>) => verdict.lost.filter((line) => !line.includes('#reply-after-'));

/** Broker outage longer than the retry schedule: no DEAD row, nothing lost or reordered, history whole soon after. */
export const brokerOutageLine = (fault: FaultRecord, verdict: Verdict): VerdictLine => {
  const complete = fault.historyCompleteMs;
  const lost = pipelineLost(verdict).length;
  const pass =
    verdict.deadRows.length === 0 &&
    lost === 0 &&
    verdict.inversions.length === 0 &&
    complete != null &&
    complete <= BROKER_RETURN_BOUND_MS;
  return {
    fault: `broker-outage ${seconds(fault.downMs)}`,
    figure: `DEAD rows ${verdict.deadRows.length}, lost ${lost}, reordered ${verdict.inversions.length}; history complete ${seconds(complete)} after the broker returned (bound ${BROKER_RETURN_BOUND_MS / 1000} s)`,
    pass,
  };
};

/** What a database or Redis outage line is judged against besides the fault itself. */
export interface ServiceOutageContext {
  readonly ledger: Ledger;
  readonly exits: readonly UnexpectedExit[];
  /** When the next fault struck: calls failing from then on are that fault's. */
  readonly nextFaultAt?: number;
  /** History must be complete this soon after the restore (default SERVICE_RETURN_BOUND_MS). */
  readonly boundMs?: number;
}

/**
 * Database or Redis cut at the proxy: calls fail or succeed as the service allows (the ledger
 * checks those as all-or-nothing), no process crashes, and history catches up within the bound
 * after the restore.
 */
export const serviceOutageLine = (fault: FaultRecord, context: ServiceOutageContext): VerdictLine => {
  const { ledger, exits, nextFaultAt = Number.POSITIVE_INFINITY, boundMs = SERVICE_RETURN_BOUND_MS } = context;
  // The tail ends where the next fault begins: its failures are its own.
  const to = Math.min(fault.endedAt + OUTAGE_TAIL_MS, nextFaultAt);
  const failed = ledger.uncertain.filter((u) => u.at !== undefined && inWindow(u.at, fault.at, to)).length;
  const crashes = exits.filter((e) => !e.graceful && inWindow(e.at, fault.at, to));
  const complete = fault.historyCompleteMs;
  return {
    fault: `${fault.kind} ${seconds(fault.downMs)}`,
    figure: `${failed} call(s) failed (checked as unsure), process crashes ${crashes.length}${crashes.length ? ` (${crashes.map((c) => c.service).join(', ')})` : ''}; history complete ${seconds(complete)} after the restore (bound ${boundMs / 1000} s)`,
    pass: crashes.length === 0 && complete != null && complete <= boundMs,
  };
};

/** Clients retrying unanswered sends with one clientMessageId: every send stored at most once. */
export const clientRetriesLine = (
  ledger: Ledger,
  evidence: Pick<Evidence, 'history'>,
  supported: boolean,
): VerdictLine => {
  const userCopies = new Map<string, number>();
  for (const row of evidence.history) if (row.role === 'user') userCopies.set(row.h, (userCopies.get(row.h) ?? 0) + 1);
  const retried = ledger.sends.filter((s) => s.attempts > 1);
  const duplicates = ledger.sends.filter((s) => (userCopies.get(s.hash) ?? 0) > 1).length;
  const conflicts = ledger.sends.filter((s) => s.lastCode === 'IDEMPOTENCY_CONFLICT').length;
  const gaveUp = ledger.sends.filter((s) => !s.acknowledged).length;
  const figure = `${ledger.sends.length} sends, ${retried.length} retried (${retried.reduce((n, s) => n + s.attempts - 1, 0)} retries), ${gaveUp} never answered; duplicates ${duplicates}, IDEMPOTENCY_CONFLICT ${conflicts}`;
  if (!supported)
    return {
      fault: 'client-retries',
      figure: `SendMessageInput has no clientMessageId: sends are not retried; ${figure}`,
      pass: false,
    };
  return { fault: 'client-retries', figure, pass: duplicates === 0 && conflicts === 0 };
};

/**
 * Every acknowledged send has exactly one assistant message: its reply, complete (the local model
 * never fails). Assistant rows in those conversations that answer nothing (a partial left by a
 * killed generator, a second attempt) count against it too, and at least one kill must have
 * caught a reply mid-stream, or nothing was rehearsed.
 */
export const repliesLine = (
  ledger: Ledger,
  evidence: Pick<Evidence, 'history'>,
  kills: readonly FaultRecord[],
): VerdictLine => {
  const assistant = evidence.history.filter((r) => r.role !== 'user');
  const copies = new Map<string, number>();
  for (const row of assistant) copies.set(`${row.c}#${row.h}`, (copies.get(`${row.c}#${row.h}`) ?? 0) + 1);
  const counts = ledger.replies.map((r) => copies.get(`${r.conversationId}#${r.hash}`) ?? 0);
  const none = counts.filter((n) => n === 0).length;
  const many = counts.filter((n) => n > 1).length;
  const apiConversations = new Set([
    ...ledger.replies.map((r) => r.conversationId),
    ...ledger.sends.flatMap((s) => (s.conversationId ? [s.conversationId] : [])),
  ]);
  const known = new Set([...ledger.replies.map((r) => r.hash), ...ledger.uncertain.flatMap((u) => u.optional)]);
  const strays = assistant.filter((r) => apiConversations.has(r.c) && !known.has(r.h));
  const partial = strays.filter((r) => r.p === 1).length;
  const caught = kills.filter((k) => k.midStream).length;
  const examples = [
    ...ledger.replies.flatMap((r, i) =>
      counts[i] === 1
        ? []
        : [`reply to ${r.conversationId}#${r.afterSeq}: ${counts[i] === 0 ? 'none' : `${counts[i]} copies`}`],
    ),
    ...strays.map((r) => `${r.c}#${r.seq}: assistant row answering nothing${r.p === 1 ? ' (partial)' : ''}`),
  ].slice(0, 5);
  return {
    fault: `reply-kill ×${kills.length} (${caught} mid-stream)`,
    figure: `${ledger.replies.length} acknowledged sends: ${counts.length - none - many} with exactly one assistant message, ${none} with none, ${many} with more than one; ${strays.length} other assistant row(s) in their conversations (${partial} partial)${examples.map((e) => `\n      ${e}`).join('')}`,
    pass: none === 0 && many === 0 && strays.length === 0 && caught > 0,
  };
};

/** A subscriber that never saw an end, told with what the fault table needs beside it: times relative to the run. */
const describeWatch = (w: Watch, at: (ms: number) => string) =>
  `reply ${w.replyId} subscribed ${at(w.startedAt)}, ${w.tokens} token(s), last event ${w.lastEventAt ? at(w.lastEventAt) : 'none'}, ${w.resubscribes} resubscription(s): ${w.detail ?? 'no end'}`;

/**
 * Every chatStream subscriber saw its reply end: ReplyCompleted or ReplyFailed, or the server's
 * REPLY_EXPIRED (the reply ended, its events are gone: a Redis flush), counted apart.
 */
export const subscribersLine = (
  watches: readonly Watch[],
  at: (ms: number) => string = (ms) => new Date(ms).toISOString(),
): VerdictLine => {
  const without = watches.filter(
    (w) => w.end !== 'ReplyCompleted' && w.end !== 'ReplyFailed' && w.end !== 'REPLY_EXPIRED',
  );
  const failed = watches.filter((w) => w.end === 'ReplyFailed').length;
  const expired = watches.filter((w) => w.end === 'REPLY_EXPIRED').length;
  const restarted = watches.filter((w) => w.restarts > 0).length;
  const resumed = watches.filter((w) => w.resubscribes > 0).length;
  const listed = without
    .slice(0, 5)
    .map((w) => `\n      ${describeWatch(w, at)}`)
    .join('');
  return {
    fault: 'reply-kill subscribers',
    figure: `${watches.length} chatStream subscribers (${resumed} resubscribed after a dropped socket): ${watches.length - without.length} saw an end (${failed} ReplyFailed, ${expired} told REPLY_EXPIRED, ${restarted} saw ReplyRestarted), ${without.length} never did${listed}`,
    pass: without.length === 0 && watches.length > 0,
  };
};

/**
 * Copies the sweeper re-published during a consumer stall, from the topic read-back: a record
 * produced in the window for an event already on the topic at an earlier time (or offset).
 * Rows really lost: PUBLISHED in the database during the stall, yet with no record on the topic
 * produced before they were seen so. The first may not exceed the second.
 */
export const stallFigures = (stall: NonNullable<FaultRecord['stall']>, records: readonly DeliveredEvent[]) => {
  const to = stall.caughtUpAt ?? Number.POSITIVE_INFINITY;
  const byEvent = new Map<string, DeliveredEvent[]>();
  for (const record of records) byEvent.set(record.eventId, [...(byEvent.get(record.eventId) ?? []), record]);
  let copies = 0;
  for (const list of byEvent.values()) {
    const first = list.reduce((a, b) =>
      b.timestamp < a.timestamp || (b.timestamp === a.timestamp && b.partition === a.partition && b.offset < a.offset)
        ? b
        : a,
    );
    copies += list.filter((r) => r !== first && inWindow(r.timestamp, stall.from, to)).length;
  }
  const lost = new Set(
    stall.published
      .filter((p) => !(byEvent.get(p.eventId) ?? []).some((r) => r.timestamp <= p.seenAt))
      .map((p) => p.eventId),
  );
  return { copies, reallyLost: lost.size };
};

export const stallLine = (fault: FaultRecord, records: readonly DeliveredEvent[]): VerdictLine => {
  if (!fault.stall) return { fault: 'consumer-stall', figure: `not measured: ${fault.detail}`, pass: false };
  const { copies, reallyLost } = stallFigures(fault.stall, records);
  const stalled = fault.stall.thawAt - fault.stall.from;
  return {
    fault: `consumer-stall ${seconds(stalled)}`,
    figure: `re-published copies ${copies}, rows really lost ${reallyLost} (${fault.stall.published.length} PUBLISHED rows checked); caught up ${fault.stall.caughtUpAt === null ? 'never' : seconds(fault.stall.caughtUpAt - fault.stall.thawAt)} after SIGCONT`,
    pass: copies <= reallyLost && fault.stall.caughtUpAt !== null,
  };
};

/** The whole run's checks, each a line of its own. */
const overallLines = (
  verdict: Verdict,
  extra: { unexpectedExits: readonly UnexpectedExit[]; failedFaults: readonly FaultRecord[]; settled: boolean },
): VerdictLine[] => {
  const crashes = extra.unexpectedExits.filter((e) => !e.graceful).length;
  const line = (figure: string, n: number): VerdictLine => ({ fault: 'all', figure: `${figure} ${n}`, pass: n === 0 });
  return [
    line('lost', verdict.lost.length),
    line('duplicated', verdict.duplicated.length),
    line('order inversions', verdict.inversions.length),
    line('unexplained non-CONSUMED rows', verdict.unexplainedRows.length),
    line('DEAD rows', verdict.deadRows.length),
    line('anomalies', verdict.anomalies.length),
    line('process crashes', crashes),
    line('fault actions that failed', extra.failedFaults.length),
    { fault: 'all', figure: `pipeline settled after the run: ${extra.settled ? 'yes' : 'no'}`, pass: extra.settled },
  ];
};

export interface LinesInput {
  readonly verdict: Verdict;
  readonly ledger: Ledger;
  readonly evidence: Pick<Evidence, 'history'>;
  readonly records: readonly DeliveredEvent[];
  readonly faults: readonly FaultRecord[];
  readonly watches: readonly Watch[];
  readonly clientMessageId: boolean;
  readonly unexpectedExits: readonly UnexpectedExit[];
  readonly settled: boolean;
  /** The scenario's bound on history after a database or Redis outage (default SERVICE_RETURN_BOUND_MS). */
  readonly serviceReturnBoundMs?: number;
  /** Formats an epoch time as the run's log does ("+12.3s"). */
  readonly at?: (ms: number) => string;
}

/** Every verdict line of a run, the new faults' first, in a fixed order. */
export const verdictLines = (input: LinesInput): VerdictLine[] => {
  const of = (kind: FaultRecord['kind']) => input.faults.filter((f) => f.kind === kind && !f.failed);
  const missing = (kind: string): VerdictLine => ({
    fault: kind,
    figure: 'the fault did not run (or its action failed)',
    pass: false,
  });
  const nextAt = (fault: FaultRecord) => Math.min(...input.faults.filter((f) => f.at > fault.at).map((f) => f.at));
  const each = <T>(kind: FaultRecord['kind'], make: (f: FaultRecord) => T) =>
    of(kind).length ? of(kind).map(make) : [missing(kind)];
  return [
    ...each('broker-outage', (f) => brokerOutageLine(f, input.verdict)),
    ...(['db-outage', 'redis-outage'] as const).flatMap((kind) =>
      each(kind, (f) =>
        serviceOutageLine(f, {
          ledger: input.ledger,
          exits: input.unexpectedExits,
          nextFaultAt: nextAt(f),
          boundMs: input.serviceReturnBoundMs,
        }),
      ),
    ),
    clientRetriesLine(input.ledger, input.evidence, input.clientMessageId),
    repliesLine(input.ledger, input.evidence, of('reply-kill')),
    subscribersLine(input.watches, input.at),
    ...each('consumer-stall', (f) => stallLine(f, input.records)),
    ...overallLines(input.verdict, {
      unexpectedExits: input.unexpectedExits,
      failedFaults: input.faults.filter((f) => f.failed),
      settled: input.settled,
    }),
  ] as VerdictLine[];
};

export const printVerdictLines = (lines: readonly VerdictLine[]) => {
  const width = Math.max(...lines.map((l) => l.fault.length));
  console.log('\nVERDICT');
  for (const line of lines)
    console.log(`  ${line.pass ? 'pass' : 'FAIL'}  ${line.fault.padEnd(width)}  ${line.figure}`);
  return lines.every((l) => l.pass);
};
