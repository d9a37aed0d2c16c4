import { mintToken } from '../../../src/tooling';
import { SEND_MESSAGE } from '../../../src/cli/chat-client/operations';
import { startFakeOpenAi } from '../../../tools/kit/fake-openai-server';
import { readRss, spawnApp } from '../../lib/child-app';
import { benchEnv, provision } from '../../lib/env';
import { postGraphql } from '../../lib/graphql';
import { metric, type Metric, type Scenario } from '../../lib/types';
import { aliasedQuery, runAttack, seedConversation, type AttackMode, type AttackPhase } from './attack';

const CONTENT_CHARS = 32_000;
const ALIASES = 66;

const phaseMetrics = (phase: AttackPhase, attackTargets: boolean): Metric[] => {
  const codes =
    Object.entries(phase.codes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ') || 'no attack';
  const name = (what: string) => `${phase.label}: ${what}`;
  return [
    metric(
      'abuse',
      name('API RSS peak'),
      phase.rssPeakMb,
      'MB',
      attackTargets ? { target: { op: '<=', value: 600 }, note: codes } : { note: codes },
    ),
    ...(phase.copies > 0
      ? [
          metric('abuse', name('attacking request answered, max'), phase.answerMs.max, 'ms', {
            ...(attackTargets ? { target: { op: '<=' as const, value: 1000 } } : {}),
            note: `p50 ${phase.answerMs.p50} / p99 ${phase.answerMs.p99} ms over ${phase.requests} requests`,
          }),
        ]
      : []),
    metric('abuse', name('/healthz p99'), phase.healthzMs.p99, 'ms', {
      note: `p50 ${phase.healthzMs.p50}, max ${phase.healthzMs.max} ms, ${phase.healthzMs.count} probes`,
    }),
    metric('abuse', name("other user's sendMessage p99"), phase.sendMessageMs.p99, 'ms', {
      ...(attackTargets ? { target: { op: '<=' as const, value: 100 } } : {}),
      note: `p50 ${phase.sendMessageMs.p50}, max ${phase.sendMessageMs.max} ms, ${phase.sendMessageMs.count} sends, ${phase.sendErrors} errors`,
    }),
  ];
};

/**
 * abuse: issue 13's memory attack at full size against one API process (a child, so its RSS is
 * its own). One conversation of 100 messages of 32,000 × U+0001; then, each for a window,
 * 3 and 10 copies of the issue's query (66 aliases of 100 messages' content) sent at once every
 * second, and 10 copies each sent again as soon as answered (a flood),
 * the same with 15 aliases (within the alias limit, so the byte budget must stop it), the 15
 * aliases without `first` (each list's default page of 50), and the
 * largest page the budget lets through (one alias), while another user sends messages and
 * /healthz is probed.
 */
export const abuseScenario: Scenario = async ({ quick, progress, scope }) => {
  const messages = quick ? 20 : 100;
  const windowMs = quick ? 2_000 : 8_000;
  const fake = await startFakeOpenAi({ script: () => ({ tokens: ['ok'] }) });
  scope.defer('close fake OpenAI server', () => fake.close());
  const env = await provision(scope, 'abuse');
  const overrides = {
    ROLES: 'api',
    OPENAI_BASE_URL: fake.baseUrl,
    OPENAI_API_KEY: 'bench',
    RATE_LIMIT_SEND_PER_MINUTE: '1000000',
    CHAT_MAX_CONTENT_CHARS: String(CONTENT_CHARS),
  };
  const config = env.config(overrides);
  progress.log(`seeding one conversation: ${messages} messages of ${CONTENT_CHARS} × U+0001`);
  const conversationId = await seedConversation(env.sql, { userId: 'bench-attacker', messages, chars: CONTENT_CHARS });
  progress.log('starting the API as a child process (node --import tsx src/main.ts, ROLES=api, NODE_ENV=production)');
  const api = await spawnApp(scope, benchEnv(env.names, overrides), progress.log);
  const rssBoot = readRss(api.pid).rssMb;
  const attackerToken = await mintToken(config.auth, { userId: 'bench-attacker', ttlSeconds: 3600 });
  const victimToken = await mintToken(config.auth, { userId: 'bench-victim', ttlSeconds: 3600 });
  const send = async () => {
    const result = await postGraphql(
      api.url,
      SEND_MESSAGE,
      { input: { content: 'hello while under attack' } },
      victimToken,
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
  };
  const variants = [
    {
      name: `${ALIASES} aliases × messages(first: 100) { content }`,
      query: aliasedQuery(conversationId, ALIASES),
      targets: true,
    },
    { name: '15 aliases × messages(first: 100) { content }', query: aliasedQuery(conversationId, 15), targets: true },
    // Without `first` each list loads its default of 50 rows: counted as one row, this got past the budget.
    {
      name: '15 aliases × messages { content } (no first: 50 rows each)',
      query: aliasedQuery(conversationId, 15, null),
      targets: true,
    },
    {
      name: 'largest allowed: 1 × messages(first: 100) { content }',
      query: aliasedQuery(conversationId, 1),
      targets: false,
    },
  ];
  const phases: AttackPhase[] = [];
  const run = async (label: string, query: string, copies: number, mode: AttackMode) => {
    const phase = await progress.during(
      label,
      () => `RSS ${readRss(api.pid).rssMb.toFixed(0)} MB`,
      () => runAttack({ url: api.url, pid: api.pid, attackerToken, query, send }, { label, copies, mode, windowMs }),
    );
    progress.log(
      `${label}: ${phase.requests} answers (${
        Object.entries(phase.codes)
          .map(([c, n]) => `${c} ×${n}`)
          .join(', ') || '—'
      }), max ${phase.answerMs.max} ms, RSS peak ${phase.rssPeakMb} MB, healthz p99 ${phase.healthzMs.p99} ms, sendMessage p99 ${phase.sendMessageMs.p99} ms`,
    );
    phases.push(phase);
    return phase;
  };
  await run('no attack', variants[0]!.query, 0, 'burst');
  const metrics: Metric[] = [...phaseMetrics(phases[0]!, false)];
  const shapes: { copies: number; mode: AttackMode; label: string }[] = [
    { copies: 3, mode: 'burst', label: '3 in parallel every second' },
    { copies: 10, mode: 'burst', label: '10 in parallel every second' },
    { copies: 10, mode: 'flood', label: '10 back to back (flood)' },
  ];
  for (const variant of variants) {
    for (const shape of shapes)
      metrics.push(
        ...phaseMetrics(
          await run(`${variant.name}, ${shape.label}`, variant.query, shape.copies, shape.mode),
          variant.targets,
        ),
      );
  }
  const hwm = readRss(api.pid).hwmMb;
  return {
    metrics,
    notes: [
      `One conversation of ${messages} messages of ${CONTENT_CHARS} × U+0001 (${((messages * CONTENT_CHARS * 6) / 1e6).toFixed(1)} MB of JSON per full page), written straight to the run's database; the API (ROLES=api, NODE_ENV=production, default limits) as a child process, booted at ${rssBoot.toFixed(0)} MB RSS; VmHWM at the end ${hwm.toFixed(0)} MB.`,
      `Each phase lasts ${windowMs / 1000} s: N copies of the query sent at once every second (burst), or N attackers each sending it again as soon as it was answered (flood); meanwhile /healthz is probed 20 times a second and another user calls sendMessage 10 times a second (open loop). RSS of the API from /proc/<pid>/status every 50 ms.`,
      'Targets (issue 13): RSS peak < 600 MB, every attacking request answered with a typed error in < 1 s, the other user\'s sendMessage p99 < 100 ms. The "largest allowed" phases are the worst an attacker can do within the limits: they are answered with data.',
    ],
    details: { messages, contentChars: CONTENT_CHARS, windowMs, rssBootMb: rssBoot, vmHwmMb: hwm, phases },
  };
};
