import fs from 'node:fs';
import path from 'node:path';
import { loadServicesEnv } from '../../src/config';
import { REPO_ROOT } from './stack-cli';

/** The variables the stack script hands the app (scripts/stack/ops.ts writes them to <state dir>/app.env). */
export const SERVICE_KEYS = ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS'] as const;
export type ServiceKey = (typeof SERVICE_KEYS)[number];
export type ServiceUrls = Partial<Record<ServiceKey, string>>;

/**
 * `<state dir>/app.env` of a stack: `.stack` (what `npm run stack:up` and `npm run dev` use) unless
 * another state dir is named. Second stacks (chaos, the fault suite, the bench's broker outage) run
 * a broker of their own but share the default stack's database and Redis, so tools read `.stack`'s.
 */
export const stackAppEnvFile = (stateDir = '.stack') => path.resolve(REPO_ROOT, stateDir, 'app.env');

/** KEY=value lines, one per service (the format `node --env-file` reads too). */
export const formatAppEnv = (env: ServiceUrls) =>
  SERVICE_KEYS.filter((key) => env[key] !== undefined)
    .map((key) => `${key}=${env[key]}\n`)
    .join('');

/** The service keys of KEY=value lines; other keys, blank lines and comments are ignored. */
export const parseAppEnv = (text: string): ServiceUrls => {
  const out: ServiceUrls = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf('=');
    if (at <= 0 || line.trimStart().startsWith('#')) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if ((SERVICE_KEYS as readonly string[]).includes(key) && value) out[key as ServiceKey] = value;
  }
  return out;
};

/** What the stack handed over last time it came up; empty when it never did (or `down` removed it). */
export const readStackAppEnv = (file = stackAppEnvFile()): ServiceUrls => {
  try {
    return parseAppEnv(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
};

/** src/config.ts's defaults for the three services: what the app itself uses when nothing is set. */
const appDefaults = (): Record<ServiceKey, string> => {
  const loaded = loadServicesEnv({});
  if (!loaded.ok) throw new Error(`the app's service defaults do not parse: ${loaded.errors.join('; ')}`);
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = loaded.env;
  return { DATABASE_URL, REDIS_URL, KAFKA_BROKERS: KAFKA_BROKERS.join(',') };
};

/**
 * The services a tool beside the app uses (bench, chaos, the fault suite), each on its own: its
 * variable when set (empty counts as unset); else what the default stack handed over in
 * `.stack/app.env`, i.e. the server `npm run stack:up` or `npm run dev` brought up, named with the
 * scheme (so the driver) that matches it: mysql:// for compose's MySQL 8.4; else src/config.ts's
 * default. Without this, a tool's own `mariadb://` default drove compose's MySQL with the MariaDB
 * driver (INSERT … RETURNING, which MySQL rejects).
 */
export const toolServices = (
  env: Readonly<Record<string, string | undefined>> = process.env,
  stack: ServiceUrls = readStackAppEnv(),
): Record<ServiceKey, string> => {
  const defaults = appDefaults();
  const pick = (key: ServiceKey) => env[key]?.trim() || stack[key] || defaults[key];
  return { DATABASE_URL: pick('DATABASE_URL'), REDIS_URL: pick('REDIS_URL'), KAFKA_BROKERS: pick('KAFKA_BROKERS') };
};
