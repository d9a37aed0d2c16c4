import type { AppConfig } from '../../../src/config';
import { startApp } from '../../lib/app';
import type { Scope } from '../../lib/scope';
import { globalQuestions, type SqlRunner } from '../../lib/sql';
import { sleep } from '../../lib/stats';

/**
 * Database statements per second of an idle relay+consumer (run with DATABASE_DEBUG=true):
 * MariaDB's global Questions counter over the window (every session on the server, so other
 * engineers' tests add to it) next to the statements the app itself logged in the same window.
 */
export const idleQueries = async (input: {
  scope: Scope;
  config: AppConfig;
  sql: SqlRunner;
  settleMs: number;
  windowMs: number;
}) => {
  const { app, log } = await startApp(
    input.scope,
    { ...input.config, db: { ...input.config.db, debug: true } },
    { untilReady: true },
  );
  await sleep(input.settleMs);
  const statsBefore = new Map(log.statements().map((s) => [s.statement, s.count]));
  const before = { questions: await globalQuestions(input.sql), app: log.queries(), at: performance.now() };
  await sleep(input.windowMs);
  const after = { questions: await globalQuestions(input.sql), app: log.queries(), at: performance.now() };
  const statements = log
    .statements()
    .map((s) => ({ statement: s.statement, count: s.count - (statsBefore.get(s.statement) ?? 0) }))
    .filter((s) => s.count > 0);
  await app.stop();
  const seconds = (after.at - before.at) / 1000;
  // The second SHOW STATUS is itself one of the Questions counted.
  const globalPerSec = (after.questions - before.questions - 1) / seconds;
  const appPerSec = (after.app - before.app) / seconds;
  return {
    windowMs: Math.round(after.at - before.at),
    globalPerSec,
    appPerSec,
    otherSessionsPerSec: Math.max(0, globalPerSec - appPerSec),
    settleMs: input.settleMs,
    statements,
  };
};
