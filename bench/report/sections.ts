import path from 'node:path';
import type { QueryStat } from '../lib/app-log';
import type { ProfileSummary } from '../lib/profiler';

/** Markdown for a CPU profile summary (by module and the hottest functions). */
export const profileSection = (title: string, profile: ProfileSummary) =>
  [
    `### CPU profile: ${title} (${profile.durationMs} ms, ${profile.samples} samples)`,
    '',
    `Files: [\`${path.basename(profile.file)}\`](${path.basename(profile.file)}) (open in Chrome DevTools → Performance, or speedscope) and the flame graph [\`${path.basename(profile.flameGraph)}\`](${path.basename(profile.flameGraph)}) (open in a browser; hover for details).`,
    '',
    `By module: ${profile.byModule.map((m) => `${m.module} ${m.percent} %`).join(', ')}`,
    '',
    '| self % | function | where |',
    '|---|---|---|',
    ...profile.topFunctions.map((f) => `| ${f.percent} | \`${f.fn}\` | ${f.where} |`),
    '',
  ].join('\n');

/** Markdown for database time per kind of statement. */
export const statementSection = (title: string, statements: readonly QueryStat[]) =>
  [
    `### Database time per statement: ${title} (DATABASE_DEBUG, MikroORM's "[took N ms]" summed)`,
    '',
    '| statement | count | total ms | avg ms |',
    '|---|---|---|---|',
    ...statements.slice(0, 15).map((q) => `| ${q.statement} | ${q.count} | ${q.totalMs} | ${q.avgMs} |`),
    '',
  ].join('\n');
