/** Docker mode: docker-compose.yml drives all three services. */
import { spawnSync } from 'node:child_process';
import { log, StackError } from './log';
import { COMPOSE_FILE, ROOT } from './paths';
import { run } from './proc';

/** True when a Docker engine answers and the compose plugin is there to drive it. */
export function dockerUsable() {
  if (!run('docker', ['info'], { timeout: 15_000 }).ok) return false;
  if (run('docker', ['compose', 'version'], { timeout: 15_000 }).ok) return true;
  log('a Docker engine answers but the `docker compose` plugin is missing; using the local stack instead');
  return false;
}

export function compose(args: readonly string[]) {
  const result = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, ...args], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) {
    throw new StackError(
      `docker compose ${args.join(' ')} failed (exit ${result.status ?? result.error?.message}); ` +
        'if ports 3306/6379/9092 are held by local services, stop them or run without Docker',
    );
  }
}
