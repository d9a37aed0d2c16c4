/**
 * The record of what this script started. Kafka's pid lives in .stack/kafka/kafka.pid; the
 * MariaDB/Redis flags live here because those daemons manage their own pid files.
 */
import fs from 'node:fs';
import { STATE_DIR, STATE_FILE } from './paths';

/** A service's record: whether this script started it (so `down` may stop it). */
interface ServiceRecord {
  startedByStack?: boolean;
}

export interface StackState {
  mode?: 'docker' | 'local';
  mariadb?: ServiceRecord;
  redis?: ServiceRecord;
  kafka?: ServiceRecord;
}

export type ServiceName = 'mariadb' | 'redis' | 'kafka';

export function readState(): StackState {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as StackState;
  } catch {
    return {};
  }
}

export function updateState(patch: StackState) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify({ ...readState(), ...patch }, null, 2)}\n`);
}

export function removeState() {
  fs.rmSync(STATE_FILE, { force: true });
}

export const startedByStack = (service: ServiceName) => readState()[service]?.startedByStack === true;

/** Remembers who owns a running service without forgetting that an earlier `up` started it. */
export function recordService(service: ServiceName, startedNow: boolean) {
  updateState({ [service]: { startedByStack: startedNow || startedByStack(service) } });
}
