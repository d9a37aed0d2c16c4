import { loadServicesEnv } from '../../src/tooling';
import { readStackAppEnv, type ServiceKey, type ServiceUrls } from './stack-app-env';

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
