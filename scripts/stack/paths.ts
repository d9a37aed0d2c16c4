/**
 * Where things live. STACK_STATE_DIR (default .stack, relative to the repo) selects the stack;
 * everything this script starts is recorded under it.
 */
import path from 'node:path';

/** The repository root (this file is scripts/stack/paths.ts). */
export const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_STATE_DIR = path.join(ROOT, '.stack');
export const STATE_DIR = path.resolve(ROOT, process.env.STACK_STATE_DIR?.trim() || '.stack');
/** A second stack beside the default one (STACK_STATE_DIR set to another dir): local mode only. */
export const SEPARATE_STACK = STATE_DIR !== DEFAULT_STATE_DIR;
export const STATE_FILE = path.join(STATE_DIR, 'state.json');
/** KEY=value lines for the app (DATABASE_URL with the scheme of the server `up` brought up). */
export const APP_ENV_FILE = path.join(STATE_DIR, 'app.env');
export const REDIS_LOG = path.join(STATE_DIR, 'redis.log');
export const KAFKA_DIR = path.join(STATE_DIR, 'kafka');
export const KAFKA_DATA = path.join(KAFKA_DIR, 'data');
export const KAFKA_PID_FILE = path.join(KAFKA_DIR, 'kafka.pid');
export const KAFKA_PROPS = path.join(KAFKA_DIR, 'server.properties');
export const KAFKA_LOG4J = path.join(KAFKA_DIR, 'log4j.properties');
export const KAFKA_TOOLS_LOG4J = path.join(KAFKA_DIR, 'tools-log4j.properties');
export const KAFKA_LOG = path.join(KAFKA_DIR, 'server.log');
export const KAFKA_STDOUT = path.join(KAFKA_DIR, 'stdout.log');
export const KAFKA_POM = path.join(ROOT, 'scripts', 'kafka', 'pom.xml');
export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
