import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { isAppError } from '../domain/errors';
import type { Principal } from '../domain/identity';
import { OUTBOX_STATUSES, type OutboxStatus } from '../domain/outbox-status';
import type { OutboxFilter, OutboxRecord } from '../domain/ports/outbox-admin-store';
import { createDatabase } from '../infra/db/create-database';
import { createLogger } from '../infra/logger';
import { createRedis } from '../infra/redis/create-redis';
import { createRedisRelayWaker } from '../infra/redis/redis-relay-wake';
import { opsUseCases, type OpsUseCases } from '../wiring/ops.wiring';
import { loadConfigOrExit } from './load-config-or-exit';

const USAGE = `usage: npm run outbox -- <command> [options]
  list     [--status DEAD] [--conversation <id>] [--type <eventType>] [--first 20] [--json]
  show     <id> [--json]
  stats    [--json]
  replay   <id> [--reason "…"]
  replay   --all [--conversation <id>] [--type <eventType>] --limit <n> [--reason "…"]
  discard  <id> --reason "…"`;

const options = {
  status: { type: 'string' },
  conversation: { type: 'string' },
  type: { type: 'string' },
  first: { type: 'string', default: '20' },
  limit: { type: 'string' },
  reason: { type: 'string' },
  all: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

const fail = (message: string): never => {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
};

const filterFrom = (values: Values): OutboxFilter => {
  if (values.status && !(OUTBOX_STATUSES as readonly string[]).includes(values.status))
    fail(`unknown status ${values.status}; one of ${OUTBOX_STATUSES.join(', ')}`);
  return {
    status: values.status as OutboxStatus | undefined,
    conversationId: values.conversation,
    eventType: values.type,
  };
};

const line = (r: OutboxRecord) =>
  [
    r.id.padStart(8),
    r.status.padEnd(9),
    `${r.attempts}/${r.maxAttempts}`.padEnd(6),
    r.createdAt.toISOString(),
    r.conversationId,
    `#${r.seq}`,
    r.lastError ?? r.discardReason ?? '',
  ].join('  ');

const print = (value: unknown, asJson: boolean, text: () => string) =>
  process.stdout.write(`${asJson ? JSON.stringify(value, null, 2) : text()}\n`);

const run = async (
  ops: OpsUseCases,
  principal: Principal,
  command: string | undefined,
  id: string | undefined,
  values: Values,
) => {
  switch (command) {
    case 'list': {
      const page = await ops.list({ principal, filter: filterFrom(values), first: Number(values.first) });
      return print(page.items, values.json, () =>
        page.items.length ? page.items.map(line).join('\n') : 'no outbox messages match',
      );
    }
    case 'show': {
      const row = await ops.get({ principal, id: id ?? fail('show needs an id') });
      return print(row, true, () => '');
    }
    case 'stats': {
      const stats = await ops.stats({ principal });
      return print(
        stats,
        values.json,
        () =>
          `${Object.entries(stats.counts)
            .map(([s, n]) => `${s}: ${n}`)
            .join(
              '  ',
            )}\noldest pending: ${stats.oldestPendingAgeSeconds ?? '-'} s  publish lag p50/max: ${stats.publishLagSecondsP50 ?? '-'} / ${stats.publishLagSecondsMax ?? '-'} s${stats.publishingBlockedSince ? `\npublishing blocked since ${stats.publishingBlockedSince.toISOString()} (${stats.publishingBlockedRelays} relay(s)): ${stats.publishingBlockedReason}` : ''}`,
      );
    }
    case 'replay': {
      if (values.all) {
        const result = await ops.replayMany({
          principal,
          filter: { ...filterFrom(values), status: undefined },
          limit: Number(values.limit ?? fail('replay --all needs --limit')),
          reason: values.reason,
        });
        return print(result, values.json, () => `replayed ${result.replayed} DEAD message(s)`);
      }
      const row = await ops.replay({ principal, id: id ?? fail('replay needs an id or --all'), reason: values.reason });
      return print(row, values.json, () => `replayed ${row?.id}: now ${row?.status}`);
    }
    case 'discard': {
      const row = await ops.discard({
        principal,
        id: id ?? fail('discard needs an id'),
        reason: values.reason ?? fail('discard needs --reason'),
      });
      return print(row, values.json, () => `discarded ${row?.id}: ${row?.discardReason}`);
    }
    default:
      return fail(command ? `unknown command ${command}` : 'missing command');
  }
};

/** Ops on the outbox without a server: the same use cases as the GraphQL API, as an ops principal. */
const main = async () => {
  const { values, positionals } = parseArgs({ options, allowPositionals: true });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const config = loadConfigOrExit();
  const logger = createLogger({ level: 'warn' });
  const database = createDatabase(config.db, logger);
  const redis = createRedis(config.redis, logger);
  const waker = createRedisRelayWaker({ connection: redis.workerConnection(), prefix: config.redis.prefix, logger });
  await database.start();
  // Waking the relay only saves latency (its scan runs every RELAY_POLL_INTERVAL_MS), so Redis is optional here.
  const wakeable = await redis
    .start()
    .then(() => waker.start())
    .then(
      () => true,
      () => false,
    );
  const principal: Principal = {
    userId: `cli-${userInfo().username}`.slice(0, 64),
    roles: ['user', 'ops'],
    expiresAt: Number.MAX_SAFE_INTEGER,
  };
  try {
    await run(
      opsUseCases({ database, waker, logger, redis, prefix: config.redis.prefix }),
      principal,
      positionals[0],
      positionals[1],
      values,
    );
  } finally {
    if (wakeable) await waker.stop().then(() => redis.stop());
    await database.stop();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`outbox: ${isAppError(error) ? `${error.code}: ${error.message}` : (error as Error).message}\n`);
  process.exit(1);
});
