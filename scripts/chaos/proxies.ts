import { toolServices } from '../../tools/kit/tool-services';
import { createTcpProxy } from '../../tools/kit/tcp-proxy';

export type Proxy = Awaited<ReturnType<typeof createTcpProxy>>;

export interface ChaosProxies {
  readonly database: Proxy;
  readonly redis: Proxy;
  close(): Promise<void>;
}

const targetOf = (raw: string, defaultPort: number) => {
  const url = new URL(raw);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || defaultPort) };
};

/**
 * A TCP proxy in front of MariaDB and one in front of Redis: the service processes and the
 * in-process writer connect through them, so an outage is a cut proxy (every connection
 * closed, new ones refused) while the machine's servers, shared with others, keep running.
 * The runner's own SQL and Redis connections go direct, so it can watch and clean up meanwhile.
 */
export const openProxies = async (): Promise<ChaosProxies> => {
  // The same servers as the chaos env (scripts/chaos/env.ts): this shell's, else the stack's.
  const services = toolServices();
  const database = await createTcpProxy(targetOf(services.DATABASE_URL, 3306));
  const redis = await createTcpProxy(targetOf(services.REDIS_URL, 6379));
  return {
    database,
    redis,
    close: async () => {
      await Promise.all([database.close(), redis.close()]);
    },
  };
};
