import { buildApp } from './app';
import { loadConfigOrExit } from './cli/load-config-or-exit';
import { createLogger } from './infra/logger';
import { prettyLogStream } from './infra/pretty-logs';

/** The composition root: config → app → start; stop on SIGTERM/SIGINT within the deadline. */
const main = async () => {
  const config = loadConfigOrExit();
  const logger = createLogger(config.log, {}, prettyLogStream(config.env, process.stdout.isTTY === true));
  const app = buildApp(config, { logger });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await app.start();
  } catch (error) {
    // One line for people, the structured record for log pipelines.
    process.stderr.write(`agent-relay: failed to start: ${(error as Error).message}\n`);
    logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
};

void main();
