import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, stackCommand, type StackVerb } from '../../tools/kit/stack-cli';

/**
 * Stops and restarts the real Kafka broker through the stack script (data kept), or freezes
 * and thaws its process (SIGSTOP / SIGCONT). Only a
 * broker this checkout's stack started can be controlled; anything else is an error, not a
 * silently skipped fault. STACK_STATE_DIR (with KAFKA_BROKERS on its port) selects the stack:
 * the fault suite's global setup sets both to its own broker (faults-global-setup.ts).
 */
export const brokerControl = () => {
  const statePath = path.join(REPO_ROOT, process.env['STACK_STATE_DIR']?.trim() || '.stack', 'state.json');
  const state = existsSync(statePath)
    ? (JSON.parse(readFileSync(statePath, 'utf8')) as { kafka?: { startedByStack?: boolean } })
    : {};
  if (!state.kafka?.startedByStack) {
    throw new Error(
      `fault tests need a Kafka broker started by the stack script in ${statePath} (their global setup starts one; a broker from KAFKA_BROKERS or Docker cannot be stopped by the tests)`,
    );
  }
  const stack = (verb: StackVerb) =>
    execFileSync(...stackCommand(verb), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const pidFile = path.join(path.dirname(statePath), 'kafka', 'kafka.pid');
  // A frozen broker keeps its connections open and answers nothing: what only a request timeout ends.
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => process.kill(Number(readFileSync(pidFile, 'utf8').trim()), name);
  return {
    stop: () => stack('kafka:stop'),
    start: () => stack('kafka:start'),
    freeze: () => signal('SIGSTOP'),
    thaw: () => signal('SIGCONT'),
  };
};
