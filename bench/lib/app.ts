import { buildApp, type App } from '../../src/app';
import type { AppConfig } from '../../src/config';
import { createAppLog, type AppLog } from './app-log';
import type { Scope } from './scope';
import { waitFor } from './stats';

/**
 * Boots the real app in-process (buildApp + start) with a bench logger (warnings tallied, see
 * app-log.ts) and registers its stop on the scope. Returns once start() resolved; `untilReady`
 * also waits for every component (e.g. the consumer's group join) to report ready.
 */
export const startApp = async (
  scope: Scope,
  config: AppConfig,
  options: { log?: AppLog; untilReady?: boolean } = {},
): Promise<{ app: App; log: AppLog }> => {
  const log = options.log ?? createAppLog({ queries: config.db.debug });
  const app = buildApp(config, { logger: log.logger });
  scope.defer(`stop app (${config.roles.join(',')})`, () => app.stop());
  await app.start();
  if (options.untilReady && !(await waitFor(async () => (await app.readiness()).ready, 30_000, 100))) {
    throw new Error(`app not ready after 30 s: ${JSON.stringify((await app.readiness()).checks)}`);
  }
  return { app, log };
};
