import { execFileSync } from 'node:child_process';
import { lockBrokerPort, machineLockDir, releaseLock } from '../../tools/kit/machine-locks';
import { toolServices } from '../../tools/kit/tool-services';
import { REPO_ROOT, stackCommand } from '../../tools/kit/stack-cli';

/**
 * The fault suite's own Kafka broker: test/faults stops and restarts the broker, so it gets one of
 * its own (as each chaos run has), started here and stopped by faults-global-teardown.ts, and never
 * the broker on 9092 that this or another checkout's main suite (or a developer) is using. Its port
 * is free and locked machine-wide (tools/kit/machine-locks.ts), so the fault suites of two
 * checkouts, or one beside a chaos run, never stop each other's broker; FAULTS_KAFKA_PORT names one.
 * The database and Redis are shared with the main suite: DATABASE_URL / REDIS_URL when set, else the
 * default stack's (.stack/app.env, with the scheme of the server it brought up), else the app's defaults.
 */
const LOCK_FILE_ENV = 'FAULTS_KAFKA_PORT_LOCK';

const faultsStackEnv = (port: string) => {
  const shared = toolServices();
  return {
    STACK_STATE_DIR: '.stack-faults',
    KAFKA_BROKERS: `127.0.0.1:${port}`,
    DATABASE_URL: shared.DATABASE_URL,
    REDIS_URL: shared.REDIS_URL,
  };
};

/** Setup and teardown run in Jest's main process: the port the setup chose is in its environment. */
export const faultsStack = (verb: 'up' | 'down') => {
  const port = process.env['FAULTS_KAFKA_PORT']?.trim();
  if (!port) throw new Error('the fault suite has no broker port (FAULTS_KAFKA_PORT)');
  const env = faultsStackEnv(port);
  execFileSync(...stackCommand(verb), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  return env;
};

/** Releases the port's lock the setup took (none when FAULTS_KAFKA_PORT was given). */
export const releaseFaultsPort = () => {
  const file = process.env[LOCK_FILE_ENV];
  if (file) releaseLock(file);
};

export default async function faultsGlobalSetup() {
  if (!process.env['FAULTS_KAFKA_PORT']?.trim()) {
    const { port, lock } = await lockBrokerPort(machineLockDir());
    process.env['FAULTS_KAFKA_PORT'] = String(port);
    process.env[LOCK_FILE_ENV] = lock.file;
  }
  const env = faultsStack('up');
  // Jest's workers start after this and inherit it: the tests and brokerControl() see this stack.
  Object.assign(process.env, env);
}
