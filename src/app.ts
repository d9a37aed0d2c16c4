import { makeExecutableSchema } from '@graphql-tools/schema';
import type { AppConfig } from './config';
import { redactConfig } from './config';
import { createJwtVerifier } from './infra/auth/jwt';
import { createDatabase } from './infra/db/create-database';
import { createHttpServer, type HttpServer, type ReadinessReport } from './infra/http/create-http-server';
import { createKafka } from './infra/kafka/create-kafka';
import { withTimeout, type Component } from './infra/lifecycle';
import { createLogger, type Logger } from './infra/logger';
import { createRedis } from './infra/redis/create-redis';
import { createResolvers } from './resolvers';
import { loadTypeDefs } from './schema/type-defs';

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): Promise<ReadinessReport>;
  /** The GraphQL URL when the api role runs. */
  url(): string | undefined;
}

/**
 * Wires adapters → use cases → servers and workers for the enabled roles. Nothing
 * connects until start(); end-to-end tests boot exactly this.
 */
export const buildApp = (config: AppConfig, options: { logger?: Logger } = {}): App => {
  const logger = options.logger ?? createLogger(config.log);
  const database = createDatabase(config.db, logger);
  const redis = createRedis(config.redis, logger);
  const kafka = createKafka(config.kafka, logger);
  const dependencies: Component[] = [database, redis, kafka];

  const readiness = async (): Promise<ReadinessReport> => {
    const results = await Promise.all(dependencies.map(async (c) => [c.name, await c.ready()] as const));
    return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results.map(([name, ok]) => [name, ok ? 'ok' : 'failed'])) };
  };

  let http: HttpServer | undefined;
  if (config.roles.includes('api')) {
    const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: createResolvers() });
    http = createHttpServer({ config: config.http, schema, verifier: createJwtVerifier(config.auth), logger, readiness });
  }
  // Start order is dependency order; stop runs it backwards.
  const components: Component[] = [...dependencies, ...(http ? [http] : [])];
  const started: Component[] = [];

  const stop = async () => {
    const deadline = Date.now() + config.shutdownTimeoutMs;
    for (const component of [...started].reverse()) {
      const left = Math.max(deadline - Date.now(), 100);
      try {
        await withTimeout(`stopping ${component.name}`, left, component.stop());
        logger.info({ component: component.name }, `stopped ${component.name}`);
      } catch (error) {
        logger.error({ err: error, component: component.name }, `failed to stop ${component.name}`);
      }
    }
    started.length = 0;
  };

  return {
    async start() {
      logger.info({ config: redactConfig(config) }, `starting agent-relay (roles: ${config.roles.join(', ')})`);
      if (config.auth.usingDevSecret) logger.warn('JWT_SECRET is not set: using the development secret; never do this in production');
      try {
        for (const component of components) {
          await component.start();
          started.push(component);
        }
      } catch (error) {
        await stop();
        throw error;
      }
    },
    stop,
    readiness,
    url: () => http?.url(),
  };
};
