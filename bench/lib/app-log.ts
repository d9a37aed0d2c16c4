import pino, { type Logger } from 'pino';

const WARN = 40;
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g');

const HINTS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/skip locked/i, () => 'claim candidates (FOR UPDATE SKIP LOCKED)'],
  [/for update/i, () => 'FOR UPDATE'],
  [/min\(aggregate_seq\)/i, () => 'first blocking seq'],
  [/set claim_owner = \?/i, () => 'stamp claim'],
  [/join \(select/i, () => 'bump counters'],
  [/set status = '(\w+)'/i, (match) => `→ ${match[1]}`],
];

/** A short name for a statement: verb, table and what distinguishes the product's statements. */
const statementKind = (sql: string) => {
  const verb = (/^\s*(\w+)/.exec(sql)?.[1] ?? '?').toUpperCase();
  const table = /\b(?:from|into|update)\s+`?(\w+)`?/i.exec(sql)?.[1];
  const hint = HINTS.map(([pattern, name]) => {
    const match = pattern.exec(sql);
    return match ? name(match) : undefined;
  }).find(Boolean);
  return [verb, table, hint].filter(Boolean).join(' ');
};

export interface QueryStat {
  statement: string;
  count: number;
  totalMs: number;
  avgMs: number;
}

export interface AppLog {
  readonly logger: Logger;
  /** Statements sent (only with `queries`: the app must run with DATABASE_DEBUG=true). */
  queries(): number;
  /** Database time per kind of statement, from MikroORM's "[took N ms]". */
  statements(): QueryStat[];
  /** Warnings and errors the app logged, by message. */
  warnings(): { message: string; count: number; first?: string }[];
}

export interface LogLine {
  level?: number;
  msg?: string;
  err?: { message?: string } | string;
}

const BOILERPLATE = new Set(['level', 'time', 'service', 'bench', 'msg', 'pid', 'hostname']);

/** The fields that make a log line specific (e.g. the relay's counts), short. */
const detailOf = (line: LogLine) => {
  const fields = Object.entries(line)
    .filter(([key]) => !BOILERPLATE.has(key))
    .map(([key, value]) => [
      key,
      key === 'err' && typeof value === 'object' && value ? (value as { message?: string }).message : value,
    ]);
  return fields.length ? JSON.stringify(Object.fromEntries(fields)).slice(0, 200) : undefined;
};

/** Warnings and errors by message; the first of each kind is echoed in one short line. */
export const createWarningTally = (echo: (line: string) => void) => {
  const counts = new Map<string, { count: number; first?: string }>();
  return {
    add(line: LogLine) {
      if ((line.level ?? 0) < WARN) return;
      const message = line.msg ?? '(no message)';
      const seen = counts.get(message)?.count ?? 0;
      counts.set(message, { count: seen + 1, first: counts.get(message)?.first ?? detailOf(line) });
      if (seen === 0)
        echo(
          `${(line.level ?? 0) >= 50 ? 'error' : 'warn'}: ${message}${line.err ? ` (${typeof line.err === 'string' ? line.err : line.err.message})` : ''}`.slice(
            0,
            240,
          ),
        );
    },
    list: () =>
      [...counts.entries()]
        .map(([message, { count, first }]) => ({ message, count, ...(first ? { first } : {}) }))
        .sort((a, b) => b.count - a.count),
  };
};

/** "message ×count; …" for a report note. */
export const describeTally = (tally: { message: string; count: number; first?: string }[]) =>
  tally
    .map((w) => `"${w.message}" ×${w.count}${w.first && !w.first.startsWith('{"kafka"') ? ` (first: ${w.first})` : ''}`)
    .join('; ') || 'none';

/**
 * The app's pino logger for a bench run. Warnings and errors are tallied by message (the first
 * of each kind is echoed in one short line); with `queries` it logs at debug, counts MikroORM's
 * "[query]" lines (every statement sent) and sums their "[took N ms]" per kind of statement.
 */
export const createAppLog = (options: { queries?: boolean; echo?: (line: string) => void } = {}): AppLog => {
  const echo = options.echo ?? ((line: string) => process.stdout.write(`  [app] ${line}\n`));
  let queries = 0;
  const byKind = new Map<string, { count: number; totalMs: number }>();
  const tally = createWarningTally(echo);
  const onQuery = (message: string) => {
    queries += 1;
    const sql = message.replace(ANSI, '').replace(/^\[query\]\s*/, '');
    const kind = statementKind(sql);
    const entry = byKind.get(kind) ?? { count: 0, totalMs: 0 };
    byKind.set(kind, {
      count: entry.count + 1,
      totalMs: entry.totalMs + Number(/\[took (\d+) ms/.exec(sql)?.[1] ?? 0),
    });
  };
  const logger = pino(
    { level: options.queries ? 'debug' : 'warn', base: { service: 'agent-relay', bench: true } },
    {
      write(raw: string) {
        const line = JSON.parse(raw) as LogLine;
        if (line.msg?.includes('[query]')) onQuery(line.msg);
        else tally.add(line);
      },
    },
  );
  return {
    logger,
    queries: () => queries,
    statements: () =>
      [...byKind.entries()]
        .map(([statement, s]) => ({
          statement,
          count: s.count,
          totalMs: s.totalMs,
          avgMs: Number((s.totalMs / s.count).toFixed(2)),
        }))
        .sort((a, b) => b.totalMs - a.totalMs || b.count - a.count),
    warnings: tally.list,
  };
};

export const describeWarnings = (log: AppLog) => describeTally(log.warnings());
