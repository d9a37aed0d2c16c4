import { execFileSync, spawnSync } from 'node:child_process';
import { freePort } from '../../tools/kit/free-port';
import { readStackAppEnv, stackAppEnvFile } from '../../tools/kit/stack-app-env';
import { REPO_ROOT, stackCommand } from '../../tools/kit/stack-cli';
import { resolveTestServices, type ContainerSpec, type TestServicesEffects } from './test-services';

const dockerAnswers = () => spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 }).status === 0;

/** Started containers, stopped by global-teardown (same process). */
const started: { stop(): Promise<unknown> }[] = [];
(globalThis as Record<string, unknown>)['__containers'] = started;

const startContainer = async (spec: ContainerSpec) => {
  const { GenericContainer, Wait } = await import('testcontainers');
  let container = new GenericContainer(spec.image)
    .withEnvironment({ ...spec.env })
    .withExposedPorts(spec.fixedHostPort ? { container: spec.port, host: spec.fixedHostPort } : spec.port)
    .withWaitStrategy(Wait.forLogMessage(spec.ready.log, spec.ready.times));
  if (spec.command) container = container.withCommand([...spec.command]);
  const running = await container.start();
  started.push(running);
  return { host: running.getHost(), port: running.getMappedPort(spec.port) };
};

/** Runs the stack script (it reuses or starts local servers) and reads what it handed over. */
const stackUp = (env: Readonly<Record<string, string | undefined>>) => {
  execFileSync(...stackCommand('up'), { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env });
  return readStackAppEnv(stackAppEnvFile(env['STACK_STATE_DIR']?.trim() || undefined));
};

const effects: TestServicesEffects = { dockerAnswers, freePort, startContainer, stackUp };

/**
 * The run's services, each on its own: its variable when set, else a testcontainer when Docker
 * answers (TEST_DATABASE=mysql8 for mysql:8.4 instead of mariadb:10.11), else the stack script.
 * TEST_DATABASE_DRIVER=mysql (npm test's second integration run, jest.mysql.config.js) turns the
 * database URL into mysql://, so the code path a MySQL 8 deployment takes (the MySQL driver, no
 * INSERT … RETURNING) runs against whichever server answers. See test/support/test-services.ts.
 */
export default async function globalSetup() {
  try {
    // Jest's workers start after this and inherit the environment.
    Object.assign(process.env, await resolveTestServices(process.env, effects));
  } catch (error) {
    // Jest skips the global teardown when the setup fails: stop what was started here.
    await Promise.allSettled(started.map((container) => container.stop()));
    throw error;
  }
}
