import { createTcpProxy } from '../../tools/kit/tcp-proxy';

export type Proxy = Awaited<ReturnType<typeof createTcpProxy>>;

export interface ChaosProxies {
  readonly database: Proxy;
  readonly redis: Proxy;
  close(): Promise<void>;
}

const targetOf = (raw: string | undefined, fallback: string, defaultPort: number) => {
  const url = new URL(raw?.trim() || fallback);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || defaultPort) };
};

/**
 * A TCP proxy in front of MariaDB and one in front of Redis: the service processes and the
 * in-process writer connect through them, so an outage is a cut proxy (every connection
 * closed, new ones refused) while the machine's servers, shared with others, keep running.
 * The runner's own SQL and Redis connections go direct, so it can watch and clean up meanwhile.
 */
export const openProxies = async (): Promise<ChaosProxies> => {
  const database = await createTcpProxy(
    targetOf(process.env['DATABASE_URL'], 'mariadb://root@127.0.0.1:3306/agent_relay', 3306),
  );
  const redis = await createTcpProxy(targetOf(process.env['REDIS_URL'], 'redis://127.0.0.1:6379', 6379));
  return {
    database,
    redis,
    close: async () => {
      await Promise.all([database.close(), redis.close()]);
    },
  };
};
