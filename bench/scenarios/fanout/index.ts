import { mintToken } from '../../../src/tooling';
import { startFakeOpenAi, type FakeReply } from '../../../tools/kit/fake-openai-server';
import { SEND_MESSAGE } from '../../../src/cli/chat-client/operations';
import { benchEnv, provision } from '../../lib/env';
import { openWs, postGraphql } from '../../lib/graphql';
import { rounded, sleep, summarize, waitFor } from '../../lib/stats';
import { metric, type Scenario } from '../../lib/types';
import { readRss, spawnApp } from '../../lib/child-app';
import { monotonicUs } from '../../lib/profiler';
import { profileSection } from '../../report/sections';
import { createFanout, loneDelivery } from './subscribers';

const SUBS_PER_CONNECTION = 100;
/** One token per second per reply: 2,000 subscriptions then receive ~2,000 events/s in all. */
const TOKEN_DELAY_MS = 1_000;

interface SendData {
  sendMessage: { conversation: { id: string }; replyId: string };
}

/**
 * fanout: S subscriptions on one API process (a child process, so its RSS is its own), 100 per
 * graphql-ws connection, each connection's user following its own reply as it streams.
 */
export const fanoutScenario: Scenario = async ({ quick, profile, outDir, progress, scope }) => {
  const subscriptions = quick ? 200 : 2_000;
  const measureMs = quick ? 3_000 : 10_000;
  const connections = Math.ceil(subscriptions / SUBS_PER_CONNECTION);
  let reply: FakeReply = { tokens: ['ok'] };
  const fake = await startFakeOpenAi({ script: () => reply });
  scope.defer('close fake OpenAI server', () => fake.close());
  const env = await provision(scope, 'fanout');
  const overrides = {
    ROLES: 'api',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: 'bench',
    RATE_LIMIT_SEND_PER_MINUTE: '1000000',
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: String(SUBS_PER_CONNECTION + 10),
    SHUTDOWN_TIMEOUT_MS: '3000',
  };
  const config = env.config(overrides);
  progress.log('starting the API as a child process (node --import tsx src/main.ts, ROLES=api)');
  const api = await spawnApp(
    scope,
    benchEnv(env.names, overrides),
    progress.log,
    profile ? { profileDir: outDir } : {},
  );
  const rssBoot = readRss(api.pid);

  const send = async (token: string, conversationId?: string) => {
    const sent = await postGraphql<SendData>(
      api.url,
      SEND_MESSAGE,
      { input: { content: 'stream please', ...(conversationId ? { conversationId } : {}) } },
      token,
    );
    if (!sent.data) throw new Error(`sendMessage failed: ${JSON.stringify(sent.errors)}`);
    return { conversationId: sent.data.sendMessage.conversation.id, replyId: sent.data.sendMessage.replyId };
  };
  const users = await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const token = await mintToken(config.auth, { userId: `bench-fan-${i}`, ttlSeconds: 3600 });
      return { token, ws: await openWs(scope, api.url, token), conversationId: (await send(token)).conversationId };
    }),
  );
  const rssConnected = readRss(api.pid);

  reply = { tokens: Array.from({ length: quick ? 10 : 20 }, (_, i) => ` t${i}`), tokenDelayMs: 100 };
  const first = users[0] as (typeof users)[number];
  const lone = rounded(summarize(await loneDelivery(first.ws, await send(first.token, first.conversationId))));

  // A reply far longer than the measurement: it is cut when the child stops.
  reply = { tokens: Array.from({ length: 2_000 }, (_, i) => ` t${i}`), tokenDelayMs: TOKEN_DELAY_MS };
  const fanout = createFanout();
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, readRss(api.pid).rssMb)), 250);
  scope.defer('stop RSS sampler', () => clearInterval(sampler));
  const openedAt = performance.now();
  for (const user of users) {
    const target = await send(user.token, user.conversationId);
    for (let s = 0; s < SUBS_PER_CONNECTION && fanout.opened() < subscriptions; s += 1)
      fanout.subscribe(user.ws, target);
  }
  const describe = () =>
    `${fanout.live()}/${subscriptions} live, ${fanout.deliveries()} deliveries, ${fanout.samples()} live samples, RSS ${readRss(api.pid).rssMb.toFixed(0)} MB`;
  const allLive = await progress.during('opening subscriptions', describe, () =>
    waitFor(() => fanout.live() >= subscriptions, 120_000, 50),
  );
  const liveAfterMs = performance.now() - openedAt;
  const rssLive = readRss(api.pid);
  const deliveredBefore = fanout.deliveries();
  const window = { fromUs: monotonicUs(), toUs: 0 };
  await progress.during('measuring delivery', describe, () => sleep(measureMs));
  const deliveriesPerSec = (fanout.deliveries() - deliveredBefore) / (measureMs / 1000);
  const rssWithSubs = readRss(api.pid);
  window.toUs = monotonicUs();
  clearInterval(sampler);
  const { latencies, errors } = await fanout.stop();
  if (profile) await api.stop();
  const apiProfile = api.cpuProfile(window);
  const delivery = rounded(summarize(latencies));
  const scale = `S=${subscriptions}`;
  return {
    metrics: [
      metric('fanout', `API RSS peak with ${scale} open`, Math.max(rssPeak, rssWithSubs.rssMb), 'MB', {
        target: { op: '<=', value: 500 },
        note: `boot ${rssBoot.rssMb.toFixed(0)} MB, ${connections} sockets ${rssConnected.rssMb.toFixed(0)} MB, all live ${rssLive.rssMb.toFixed(0)} MB, VmHWM ${rssWithSubs.hwmMb.toFixed(0)} MB`,
      }),
      metric('fanout', `delivery append→receive p50, ${scale}`, delivery.p50, 'ms'),
      metric('fanout', `delivery append→receive p99, ${scale}`, delivery.p99, 'ms', {
        note: `max ${delivery.max} ms over ${delivery.count} deliveries, ${deliveriesPerSec.toFixed(0)}/s`,
      }),
      metric('fanout', 'delivery p50 / p99, one subscriber alone (no fan-out)', lone.p50, 'ms', {
        note: `p99 ${lone.p99} ms over ${lone.count} events, same API process`,
      }),
      metric('fanout', 'subscriptions live / errors', fanout.live(), '', {
        note: `of ${subscriptions}; ${errors.length} errors${errors[0] ? `: ${errors[0]}` : ''}`,
      }),
    ],
    notes: [
      `${subscriptions} chatStream subscriptions over ${connections} graphql-ws connections (${SUBS_PER_CONNECTION} each, WS_MAX_SUBSCRIPTIONS_PER_CONNECTION=${SUBS_PER_CONNECTION + 10}); each connection's user follows its own reply, which the fake model streams at one token per ${TOKEN_DELAY_MS} ms: ${connections} replies, ~${deliveriesPerSec.toFixed(0)} deliveries/s to the harness.`,
      `All subscriptions live ${allLive ? `${(liveAfterMs / 1000).toFixed(1)} s after the first was opened` : 'NOT reached'}; latency then sampled for ${measureMs / 1000} s. Append time = the Redis Stream entry id (Redis server clock, same host); only events appended after a subscription's first delivery count.`,
      `RSS of the API child process (pid ${api.pid}) from /proc/<pid>/status, sampled every 250 ms.`,
    ],
    details: {
      lone,
      subscriptions,
      connections,
      perConnection: SUBS_PER_CONNECTION,
      tokenDelayMs: TOKEN_DELAY_MS,
      measureMs,
      liveAfterMs,
      allLive,
      rss: { boot: rssBoot, connected: rssConnected, allLive: rssLive, peakMb: rssPeak, withSubs: rssWithSubs },
      delivery,
      deliveriesPerSec,
      errors: errors.slice(0, 10),
    },
    sections: apiProfile
      ? [profileSection(`fanout API child process while ${subscriptions} subscriptions received events`, apiProfile)]
      : [],
    latencies: [
      {
        label: `fanout delivery (${scale})`,
        p50: delivery.p50,
        p95: delivery.p95,
        p99: delivery.p99,
        max: delivery.max,
      },
    ],
  };
};
