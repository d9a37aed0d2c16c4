import { connect } from 'node:net';
import { loadConfig } from '../../src/config';
import { toolServices } from '../../tools/kit/tool-services';

const reachable = (host: string, port: number, timeoutMs = 2000) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => (socket.destroy(), resolve(ok));
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/** Fails fast, naming the service, when MariaDB, Redis or Kafka does not accept connections. */
export const checkServices = async () => {
  // The servers the bench will use (bench/lib/env.ts): this shell's, else the stack's.
  const result = loadConfig(toolServices());
  if (!result.ok) throw new Error(result.errors.join('\n'));
  const { db, redis, kafka } = result.config;
  const endpoints = [
    { name: 'MariaDB/MySQL', url: new URL(db.url), fallbackPort: 3306 },
    { name: 'Redis', url: new URL(redis.url), fallbackPort: 6379 },
    ...kafka.brokers.map((broker) => ({ name: 'Kafka', url: new URL(`kafka://${broker}`), fallbackPort: 9092 })),
  ];
  const down = [];
  for (const e of endpoints)
    if (!(await reachable(e.url.hostname, Number(e.url.port || e.fallbackPort))))
      down.push(`${e.name} at ${e.url.host}`);
  if (down.length) throw new Error(`not reachable: ${down.join(', ')} (start the stack with: npm run stack:up)`);
};
