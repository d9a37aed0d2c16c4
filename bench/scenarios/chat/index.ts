import { mintToken } from '../../../src/tooling';
import { startFakeOpenAi } from '../../../tools/kit/fake-openai-server';
import { describeTally } from '../../lib/app-log';
import { startCostMeter } from '../../lib/cost-meter';
import { cpuSeconds, spawnApp } from '../../lib/child-app';
import { benchEnv, provision } from '../../lib/env';
import { openWs } from '../../lib/graphql';
import { rounded, startEventLoopMonitor, summarize } from '../../lib/stats';
import { metric, type Scenario } from '../../lib/types';
import { profileSection } from '../../report/sections';
import { monotonicUs } from '../../lib/profiler';
import { directFirstTokenMs } from './direct';
import { chatRound } from './service';

const TOKENS = 20;
const TOKEN_DELAY_MS = 10;

/** Runs `rounds` turns on each of `clients` concurrent clients; collects results and errors. */
const concurrently = async <T>(
  clients: number,
  rounds: number,
  turn: (client: number, round: number) => Promise<T>,
) => {
  const results: T[] = [];
  const errors: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let round = 0; round < rounds; round += 1) {
        try {
          results.push(await turn(client, round));
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }),
  );
  return { results, errors };
};

/**
 * chat: K concurrent clients, each sendMessage (HTTP) + chatStream (graphql-ws) against the
 * fake OpenAI server at a fixed token rate; the same K streams straight from the fake with the
 * openai SDK give the first-token time without the service. The service (all roles) runs as a
 * child process, so the clients and the fake model in this process do not share its event loop.
 * One client alone, turn after turn, gives the per-request cost without contention.
 */
// eslint-disable-next-line max-lines-per-function -- a scenario is a script of measured phases in order, each already a call; not yet split
export const chatScenario: Scenario = async ({ quick, profile, outDir, progress, scope }) => {
  const clients = quick ? 10 : 100;
  const rounds = quick ? 3 : 5;
  const loneTurns = quick ? 5 : 10;
  const fake = await startFakeOpenAi({
    script: () => ({ tokens: Array.from({ length: TOKENS }, (_, i) => ` t${i}`), tokenDelayMs: TOKEN_DELAY_MS }),
  });
  scope.defer('close fake OpenAI server', () => fake.close());
  const env = await provision(scope, 'chat');
  const overrides = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'bench', RATE_LIMIT_SEND_PER_MINUTE: '1000000' };
  const config = env.config(overrides);

  progress.log(
    `direct: ${clients} concurrent SDK streams × (1 warm-up + ${rounds}) from the fake (${TOKENS} tokens, ${TOKEN_DELAY_MS} ms apart)`,
  );
  await concurrently(clients, 1, () => directFirstTokenMs(fake.baseUrl, 'warm up'));
  const direct = await concurrently(clients, rounds, (c, r) => directFirstTokenMs(fake.baseUrl, `hello ${c}.${r}`));
  const directLone = await concurrently(1, loneTurns, (_, r) => directFirstTokenMs(fake.baseUrl, `alone ${r}`));

  progress.log('starting the service (all roles) as a child process: node --import tsx src/main.ts');
  const service = await spawnApp(
    scope,
    benchEnv(env.names, overrides),
    progress.log,
    profile ? { profileDir: outDir } : {},
  );
  const url = service.url;
  const users = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const token = await mintToken(config.auth, { userId: `bench-chat-${i}`, ttlSeconds: 3600 });
      return { token, ws: await openWs(scope, url, token), conversationId: undefined as string | undefined };
    }),
  );
  progress.log(`service: ${clients} clients connected; 1 warm-up round, then ${rounds} measured`);
  const turn = async (c: number, r: number) => {
    const user = users[c] as (typeof users)[number];
    const timing = await chatRound({
      url,
      token: user.token,
      ws: user.ws,
      content: `hello ${c}.${r}`,
      ...(user.conversationId ? { conversationId: user.conversationId } : {}),
    });
    user.conversationId = timing.conversationId;
    return timing;
  };
  const warm = await concurrently(clients, 1, turn);
  const lone = await concurrently(1, loneTurns, (_, r) => turn(0, 50 + r));
  let done = 0;
  const harness = startEventLoopMonitor();
  // Statements and Redis commands of the measured turns (server-wide counters: an upper bound on a shared machine).
  const meter = await startCostMeter({ sql: env.sql, redisUrl: config.redis.url, roles: {} });
  const serviceCpu0 = { cpu: cpuSeconds(service.pid), at: performance.now(), us: monotonicUs() };
  const turns = await progress.during(
    'chat rounds',
    () => `${done}/${clients * rounds} turns`,
    () =>
      concurrently(clients, rounds, async (c, r) => {
        const timing = await turn(c, 100 + r);
        done += 1;
        return timing;
      }),
  );
  const measuredS = (performance.now() - serviceCpu0.at) / 1000;
  const serviceCpuS = cpuSeconds(service.pid) - serviceCpu0.cpu;
  const serviceCores = serviceCpuS / measuredS;
  const turnsPerS = turns.results.length / measuredS;
  // What the closed loop would ask of the service if it answered at once: each client's turn
  // then lasts as long as the model's reply (TOKENS × TOKEN_DELAY_MS).
  const demandPerS = clients / ((TOKENS * TOKEN_DELAY_MS) / 1000);
  const cpuMsPerTurn = (serviceCpuS * 1000) / Math.max(1, turns.results.length);
  const harnessBusy = harness.stop();
  const servers = await meter.stop();
  const perTurn = (count: number) => Number((count / Math.max(1, turns.results.length)).toFixed(2));
  const measured = { fromUs: serviceCpu0.us, toUs: monotonicUs() };
  await service.stop();
  const serviceProfile = service.cpuProfile(measured);

  const send = rounded(summarize(turns.results.map((t) => t.sendMs)));
  const viaService = rounded(summarize(turns.results.map((t) => t.firstTokenMs)));
  const viaDirect = rounded(summarize(direct.results));
  const afterSend = rounded(summarize(turns.results.map((t) => t.firstTokenMs - t.sendMs)));
  const errors =
    turns.errors.length + direct.errors.length + warm.errors.length + lone.errors.length + directLone.errors.length;
  const loneSend = rounded(summarize(lone.results.map((t) => t.sendMs)));
  const loneOverhead = summarize(lone.results.map((t) => t.firstTokenMs)).p50 - summarize(directLone.results).p50;
  const scale = `K=${clients}`;
  return {
    metrics: [
      metric('chat', `sendMessage p50, ${scale}`, send.p50, 'ms'),
      metric('chat', `sendMessage p99, ${scale}`, send.p99, 'ms', {
        target: { op: '<=', value: 15 },
        note: `max ${send.max} ms`,
      }),
      metric('chat', 'first-token overhead p50 (service − direct)', viaService.p50 - viaDirect.p50, 'ms', {
        target: { op: '<=', value: 5 },
        note: `service ${viaService.p50} ms vs direct ${viaDirect.p50} ms`,
      }),
      metric('chat', 'first-token overhead p99 (service − direct)', viaService.p99 - viaDirect.p99, 'ms', {
        note: `service ${viaService.p99} ms vs direct ${viaDirect.p99} ms`,
      }),
      metric('chat', 'sendMessage p50 / p99, one client alone', loneSend.p50, 'ms', {
        note: `p99 ${loneSend.p99} ms over ${loneSend.count} sequential turns`,
      }),
      metric('chat', 'first-token overhead p50, one client alone', loneOverhead, 'ms', {
        target: { op: '<=', value: 5 },
      }),
      metric('chat', 'turns served per second, closed loop', turnsPerS, '/s', {
        note: `service CPU ${cpuMsPerTurn.toFixed(1)} ms per turn (${serviceCores.toFixed(2)} cores); answering at once, ${clients} clients would ask ${Math.round(demandPerS)}/s = ${((demandPerS * cpuMsPerTurn) / 1000).toFixed(1)} cores`,
      }),
      metric('chat', 'statements per turn', perTurn(servers.statements.Questions), '', {
        note: `SELECT ${perTurn(servers.statements.Com_select)}, INSERT ${perTurn(servers.statements.Com_insert)}, UPDATE ${perTurn(servers.statements.Com_update)}, COMMIT ${perTurn(servers.statements.Com_commit)}; Redis commands ${perTurn(servers.redisCommands)} per turn (server-wide counts)`,
      }),
      metric('chat', 'errors', errors, '', {
        target: { op: '<=', value: 0 },
        ...(errors
          ? {
              note: [
                ...new Set([...warm.errors, ...turns.errors, ...direct.errors, ...lone.errors, ...directLone.errors]),
              ]
                .slice(0, 2)
                .join(' | '),
            }
          : {}),
      }),
    ],
    notes: [
      `${clients} clients × ${rounds} measured turns (after one warm-up turn each, which also creates the conversation), closed loop, no think time; replies are ${TOKENS} tokens ${TOKEN_DELAY_MS} ms apart from test/support/fake-openai-server.ts; the service (all roles: api, relay, consumer) ran as child process ${service.pid} and used ${serviceCores.toFixed(2)} cores during the measured turns; this process (clients + fake model) had its event loop ${Math.round(harnessBusy * 100)} % busy.`,
      `First token via the service is timed from the start of the sendMessage POST, so it includes sendMessage itself (p50 ${send.p50} ms) and opening the subscription; after sendMessage returned, the first token took p50 ${afterSend.p50} / p99 ${afterSend.p99} ms. Direct: the same ${clients}-way concurrency straight to the fake with the openai SDK.`,
      `Service warnings: ${describeTally(service.warnings())}.`,
    ],
    details: {
      clients,
      rounds,
      tokens: TOKENS,
      tokenDelayMs: TOKEN_DELAY_MS,
      send,
      firstTokenViaService: viaService,
      firstTokenDirect: viaDirect,
      firstTokenAfterSend: afterSend,
      errors: { warm: warm.errors, service: turns.errors, direct: direct.errors },
      serviceCores,
      serviceCpuS,
      measuredS,
      turnsPerS,
      cpuMsPerTurn,
      statements: servers.statements,
      redisCommands: servers.redisCommands,
      demandPerS,
      harnessEventLoop: harnessBusy,
    },
    sections: serviceProfile ? [profileSection('chat service child process, measured turns only', serviceProfile)] : [],
    latencies: [
      { label: `sendMessage (${scale})`, p50: send.p50, p95: send.p95, p99: send.p99, max: send.max },
      {
        label: 'first token via service',
        p50: viaService.p50,
        p95: viaService.p95,
        p99: viaService.p99,
        max: viaService.max,
      },
      {
        label: 'first token direct (SDK)',
        p50: viaDirect.p50,
        p95: viaDirect.p95,
        p99: viaDirect.p99,
        max: viaDirect.max,
      },
    ],
  };
};
