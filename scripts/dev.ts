/**
 * `npm run dev`: bring the stack up, then migrate and run the app against the servers it
 * handed over. DATABASE_URL comes from the stack (mysql:// when docker compose started
 * mysql:8.4, mariadb:// for the local MariaDB), so the driver always matches the server.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setLogger, StackError, up } from './stack';
import { ROOT } from './stack/paths';

const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

const runTsx = (script: string, env: NodeJS.ProcessEnv) =>
  new Promise<number>((resolve) => {
    const child = spawn(tsx, [script, ...(script.endsWith('migrate.cli.ts') ? ['up'] : [])], {
      cwd: ROOT,
      env,
      stdio: 'inherit',
    });
    // Ctrl-C reaches the whole foreground group; a signal sent to this process alone is passed on
    // too (the server's shutdown ignores a repeated signal), so the server is never orphaned.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of SIGNALS) process.on(signal, forward);
    child.on('exit', (code, signal) => {
      for (const s of SIGNALS) process.off(s, forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });

const main = async () => {
  setLogger((line) => console.log(line));
  try {
    const { env } = await up();
    const appEnv = { ...process.env, ...env };
    const migrated = await runTsx('src/cli/migrate.cli.ts', appEnv);
    return migrated === 0 ? await runTsx('src/main.ts', appEnv) : migrated;
  } catch (error) {
    console.error(
      error instanceof StackError ? `stack up: ${error.message}${error.detail ? `\n${error.detail}` : ''}` : error,
    );
    return 1;
  }
};

void main().then((code) => process.exit(code));
