/**
 * One chat client alone against the service started the way the chat scenario starts it (all
 * roles, `node --import tsx src/main.ts` as a child process, the fake OpenAI server in this
 * process): first `--sends` turns timing sendMessage (short replies: 2 tokens, no delay, each
 * followed to its end before the next send, so nothing runs in the background), then `--turns`
 * turns timing the first token (20 tokens 10 ms apart, like the scenario), each after a direct
 * SDK call to the fake with a reused client. Prints p50/p95/p99 of each.
 *
 *   npx tsx bench/experiments/chat-latency-breakdown.ts [--sends 300] [--turns 100]
 *     [--other DIR]            also run the service from another checkout (e.g. `git archive <base>
 *                              | tar -x -C DIR` plus a node_modules symlink), turn for turn in
 *                              alternation with this one, so both see the same machine load
 *     [--set KEY=VALUE ...]    a product setting for the service children, e.g. DATABASE_DEBUG=true
 *     [--profile DIR]          run this tree's service under --cpu-prof, writing its profile into DIR
 *     [--split]                run this tree's service as two processes sharing its database, topic
 *                              and prefix: ROLES=api (sends, generation, subscriptions) and
 *                              ROLES=relay,consumer; `--other .` then alternates it with the same
 *                              code in one process (all roles)
 *
 * On a shared machine the figures of two separate runs drift more than the changes being
 * compared; alternating the two services turn by turn cancels that drift.
 * Lines the service prints that are not JSON logs are passed through (to stderr), so temporary
 * timing lines in the child show up. Each service gets its own database, topic, group and Redis
 * prefix, dropped at the end.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import OpenAI from 'openai';
import { mintToken } from '../../src/tooling';
import { startFakeOpenAi } from '../../tools/kit/fake-openai-server';
import { spawnApp } from '../lib/child-app';
import { benchEnv, provision } from '../lib/env';
import { openWs } from '../lib/graphql';
import { createScope, type Scope } from '../lib/scope';
import { settingsFrom } from '../lib/settings';
import { summarize } from '../lib/stats';
import { chatRound, type RoundTiming } from '../scenarios/chat/service';

const { values } = parseArgs({
  options: {
    sends: { type: 'string' },
    turns: { type: 'string' },
    other: { type: 'string' },
    profile: { type: 'string' },
    split: { type: 'boolean' },
    set: { type: 'string', multiple: true },
  },
});
const SENDS = Number(values.sends ?? 300);
const TURNS = Number(values.turns ?? 100);
const settings = settingsFrom(values.set);

const line = (label: string, name: string, xs: number[]) => {
  const s = summarize(xs);
  const f = (v: number) => v.toFixed(1).padStart(6);
  process.stdout.write(
    `${label.padEnd(6)} ${name.padEnd(32)} p50 ${f(s.p50)}  p95 ${f(s.p95)}  p99 ${f(s.p99)} ms  (n=${s.count})\n`,
  );
};

interface Service {
  label: string;
  turn(content: string): Promise<RoundTiming>;
  stop(): Promise<void>;
}

const startService = async (
  scope: Scope,
  label: string,
  overrides: Record<string, string>,
  options: { repo?: string; profileDir?: string; split?: boolean } = {},
): Promise<Service> => {
  const { repo, profileDir, split = false } = options;
  const env = await provision(scope, `chatlat${label}`);
  const log = (l: string) => process.stderr.write(`${label} ${l}\n`);
  // Split: the pipeline's roles in a process of their own, on the same database, topic and prefix.
  if (split)
    await spawnApp(scope, benchEnv(env.names, { ...overrides, ROLES: 'relay,consumer', LOG_LEVEL: 'info' }), log, {
      readyWhenLogged: 'history-consumer ready',
    });
  const service = await spawnApp(scope, benchEnv(env.names, split ? { ...overrides, ROLES: 'api' } : overrides), log, {
    ...(repo ? { repo } : {}),
    ...(profileDir ? { profileDir } : {}),
  });
  const token = await mintToken(env.config(overrides).auth, { userId: `bench-chatlat-${label}`, ttlSeconds: 3600 });
  const ws: Client = await openWs(scope, service.url, token);
  let conversationId: string | undefined;
  return {
    label,
    async turn(content) {
      const t = await chatRound({
        url: service.url,
        token,
        ws,
        content,
        ...(conversationId ? { conversationId } : {}),
      });
      conversationId = t.conversationId;
      return t;
    },
    stop: service.stop,
  };
};

const main = async () => {
  const scope = createScope();
  try {
    let mode: 'short' | 'long' = 'short';
    const fake = await startFakeOpenAi({
      script: () =>
        mode === 'short'
          ? { tokens: [' a', ' b'], tokenDelayMs: 0 }
          : { tokens: Array.from({ length: 20 }, (_, i) => ` t${i}`), tokenDelayMs: 10 },
    });
    scope.defer('close fake', () => fake.close());
    const overrides = {
      OPENAI_BASE_URL: fake.baseUrl,
      OPENAI_API_KEY: 'bench',
      RATE_LIMIT_SEND_PER_MINUTE: '1000000',
      ...settings,
    };
    const services = [
      await startService(scope, values.split ? 'split' : 'this', overrides, {
        ...(values.profile ? { profileDir: values.profile } : {}),
        split: values.split === true,
      }),
    ];
    if (values.other)
      services.push(await startService(scope, 'other', overrides, { repo: path.resolve(values.other) }));
    for (let i = 0; i < 30; i += 1) for (const s of services) await s.turn(`warm ${i}`);

    const sends = services.map(() => ({ send: [] as number[], after: [] as number[] }));
    for (let i = 0; i < SENDS; i += 1) {
      for (const [k, s] of services.entries()) {
        const t = await s.turn(`send ${i}`);
        sends[k]?.send.push(t.sendMs);
        sends[k]?.after.push(t.firstTokenMs - t.sendMs);
      }
    }

    mode = 'long';
    const openai = new OpenAI({ baseURL: fake.baseUrl, apiKey: 'bench', maxRetries: 0 });
    const direct = async () => {
      const started = performance.now();
      const stream = await openai.chat.completions.create({
        model: 'bench-model',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      });
      let first: number | undefined;
      for await (const chunk of stream)
        if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now() - started;
      return first ?? Number.NaN;
    };
    const turns = services.map(() => ({ first: [] as number[], send: [] as number[], direct: [] as number[] }));
    for (let i = 0; i < TURNS; i += 1) {
      for (const [k, s] of services.entries()) {
        turns[k]?.direct.push(await direct());
        const t = await s.turn(`turn ${i}`);
        turns[k]?.first.push(t.firstTokenMs);
        turns[k]?.send.push(t.sendMs);
      }
    }
    for (const [k, s] of services.entries()) {
      const a = sends[k] as (typeof sends)[number];
      const b = turns[k] as (typeof turns)[number];
      line(s.label, 'sendMessage (short replies)', a.send);
      line(s.label, 'send end -> first token (short)', a.after);
      line(s.label, 'sendMessage (20-token turns)', b.send);
      line(s.label, 'send start -> first token', b.first);
      line(s.label, 'direct SDK first token', b.direct);
      process.stdout.write(
        `${s.label.padEnd(6)} first-token overhead p50 (service - direct): ${(summarize(b.first).p50 - summarize(b.direct).p50).toFixed(1)} ms\n`,
      );
    }
    for (const s of services) await s.stop();
  } finally {
    const failures = await scope.close();
    if (failures.length) process.stderr.write(`cleanup: ${failures.join('; ')}\n`);
  }
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
