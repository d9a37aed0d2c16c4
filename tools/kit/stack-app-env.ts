import fs from 'node:fs';
import path from 'node:path';
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
