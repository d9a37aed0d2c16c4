import { spawn } from 'node:child_process';
import path from 'node:path';
import { deferred } from './eventually';

const root = path.resolve(__dirname, '../..');

/** Runs src/main.ts as a real process with exactly the given environment. */
export const startMain = (env: Record<string, string | undefined>) => {
  // node --import tsx (not the tsx CLI) so signals reach the service itself, as with `node dist/main.js`.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      // 'close', not 'exit': exit can fire before the pipes drain, losing the last log lines.
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  /** The GraphQL URL once the service logged it (needs LOG_LEVEL info or lower). */
  const listening = deferred<string>();
  child.stdout.on('data', () => {
    const match = /at (http:\/\/[^"\s]+\/graphql)/.exec(stdout);
    if (match?.[1]) listening.resolve(match[1]);
  });
  void exited.then(({ code, stderr: err }) =>
    listening.reject(new Error(`service exited (${code}) before listening: ${err}`)),
  );
  listening.promise.catch(() => undefined); // tests that expect an exit never await it

  // JSON log lines seen so far, and the waits for one that matches.
  const lines: Record<string, unknown>[] = [];
  const waits: { match: (line: Record<string, unknown>) => boolean; found: (line: Record<string, unknown>) => void }[] =
    [];
  let partial = '';
  child.stdout.on('data', (chunk) => {
    const text = partial + String(chunk);
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const raw of complete) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const wait of [...waits]) {
        if (!wait.match(line)) continue;
        waits.splice(waits.indexOf(wait), 1);
        wait.found(line);
      }
    }
  });
  /**
   * The first JSON log line (seen before or after the call) for which `match` holds, e.g. the
   * generator's "generating reply" line naming a reply id; rejects if the process exits first.
   */
  const logLine = (match: (line: Record<string, unknown>) => boolean) => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waits.push({ match, found: resolve });
      void exited.then(() => reject(new Error('service exited before logging the line awaited')));
    });
  };
  return { child, exited, output: () => stdout, listening: listening.promise, logLine };
};
