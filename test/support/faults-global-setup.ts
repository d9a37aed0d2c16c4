import { execFileSync } from 'node:child_process';
import { REPO_ROOT, stackCommand } from '../../tools/kit/stack-cli';

/**
 * The fault suite's own Kafka broker: test/faults stops and restarts the broker, so it gets one of
 * its own (as chaos has on 29092), started here and stopped by faults-global-teardown.ts, and never
 * the broker on 9092 that this or another checkout's main suite (or a developer) is using.
 * MariaDB and Redis are shared as in the main suite (reused when running, started when down).
 */
export const FAULTS_STACK_ENV = {
  STACK_STATE_DIR: '.stack-faults',
  KAFKA_BROKERS: `127.0.0.1:${process.env['FAULTS_KAFKA_PORT']?.trim() || '19092'}`,
  DATABASE_URL: process.env['DATABASE_URL']?.trim() || 'mariadb://root@127.0.0.1:3306/agent_relay',
  REDIS_URL: process.env['REDIS_URL']?.trim() || 'redis://127.0.0.1:6379',
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
