/**
 * The record of what this script started. Kafka's pid lives in .stack/kafka/kafka.pid; the
 * MariaDB/Redis flags live here because those daemons manage their own pid files.
 */
import fs from 'node:fs';
import { STATE_DIR, STATE_FILE } from './paths.mjs';

export function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return {};
  }
}

export function updateState(patch) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify({ ...readState(), ...patch }, null, 2)}\n`);
}

export function removeState() {
  fs.rmSync(STATE_FILE, { force: true });
}

export const startedByStack = (service) => readState()[service]?.startedByStack === true;

/** Remembers who owns a running service without forgetting that an earlier `up` started it. */
export function recordService(service, startedNow) {
  updateState({ [service]: { startedByStack: startedNow || startedByStack(service) } });
}
