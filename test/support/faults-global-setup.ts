import { execFileSync } from 'node:child_process';
import { toolServices } from '../../tools/kit/tool-services';
import { REPO_ROOT, stackCommand } from '../../tools/kit/stack-cli';

/**
 * The fault suite's own Kafka broker: test/faults stops and restarts the broker, so it gets one of
 * its own (as each chaos run has), started here and stopped by faults-global-teardown.ts, and never
 * the broker on 9092 that this or another checkout's main suite (or a developer) is using.
 * The database and Redis are shared with the main suite: DATABASE_URL / REDIS_URL when set, else the
 * default stack's (.stack/app.env, with the scheme of the server it brought up), else the app's defaults.
 */
const shared = toolServices();
export const FAULTS_STACK_ENV = {
  STACK_STATE_DIR: '.stack-faults',
  KAFKA_BROKERS: `127.0.0.1:${process.env['FAULTS_KAFKA_PORT']?.trim() || '19092'}`,
  DATABASE_URL: shared.DATABASE_URL,
  REDIS_URL: shared.REDIS_URL,
};

export const faultsStack = (verb: 'up' | 'down') =>
  execFileSync(...stackCommand(verb), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...FAULTS_STACK_ENV },
  });

export default async function faultsGlobalSetup() {
  faultsStack('up');
  // Jest's workers start after this and inherit it: the tests and brokerControl() see this stack.
  Object.assign(process.env, FAULTS_STACK_ENV);
}
