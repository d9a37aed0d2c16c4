import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Stops and restarts the real Kafka broker through the stack script (data kept). Only a
 * broker this checkout's stack started can be controlled; anything else is an error, not a
 * silently skipped fault. STACK_STATE_DIR (with KAFKA_BROKERS on its port) selects a second
 * stack's broker, so a fault test can run beside a shared broker without stopping it.
 */
export const brokerControl = () => {
  const statePath = path.join(root, process.env['STACK_STATE_DIR']?.trim() || '.stack', 'state.json');
  const state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { kafka?: { startedByStack?: boolean } }) : {};
  if (!state.kafka?.startedByStack) {
    throw new Error('fault tests need the Kafka broker started by `npm run stack:up` (a broker from KAFKA_BROKERS or Docker cannot be stopped by the tests)');
  }
  const stack = (verb: string) => execFileSync(process.execPath, [path.join(root, 'scripts/stack.mjs'), verb], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return { stop: () => stack('kafka:stop'), start: () => stack('kafka:start') };
};
