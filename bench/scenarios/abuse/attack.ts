import { randomUUID } from 'node:crypto';
import { openLoop } from '../../lib/open-loop';
import { readRss } from '../../lib/child-app';
import type { SqlRunner } from '../../lib/sql';
import { rounded, sleep, summarize, type Summary } from '../../lib/stats';

/**
 * `count` aliases of one conversation's first page of message content, as issue 13's attacker sent
 * them; `first: null` leaves the argument out, so each list loads its declared default page.
 */
export const aliasedQuery = (conversationId: string, count: number, first: number | null = 100) => {
  const page = first === null ? 'messages' : `messages(first: ${first})`;
  return `{ ${Array.from({ length: count }, (_, i) => `c${i}: conversation(id: "${conversationId}") { ${page} { edges { node { content } } } }`).join(' ')} }`;
};

/**
 * One conversation of `messages` messages of `chars` × U+0001 (six bytes each as JSON), written
 * straight to history: what 100 sendMessage calls within the content limit leave behind.
 */
export const seedConversation = async (sql: SqlRunner, input: { userId: string; messages: number; chars: number }) => {
  const id = randomUUID();
  const now = new Date();
  const content = '\u0001'.repeat(input.chars);
  await sql.run(
    'INSERT INTO conversations (id, user_id, last_seq, message_count, last_message_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [id, input.userId, input.messages, input.messages, now, now, now],
  );
  for (let seq = 1; seq <= input.messages; seq += 1) {
    await sql.run(
      'INSERT INTO chat_messages (id, event_id, conversation_id, seq, role, content, `partial`, created_at, persisted_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)',
      [randomUUID(), randomUUID(), id, seq, seq % 2 ? 'user' : 'assistant', content, now, now],
    );
  }
  return id;
};

export interface AttackPhase {
  label: string;
  copies: number;
  requests: number;
  /** How long each attacking request took to be answered, ms. */
  answerMs: Summary;
  /** extensions.code (or HTTP status) of each answer, counted. */
  codes: Record<string, number>;
  rssPeakMb: number;
  healthzMs: Summary;
  sendMessageMs: Summary;
  sendErrors: number;
}

interface Target {
  url: string;
  pid: number;
  attackerToken: string;
  query: string;
  /** The other user's sendMessage, one call. */
  send: () => Promise<void>;
}

const post = async (url: string, query: string, token: string) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  return body.errors?.[0]?.extensions?.code ?? `HTTP ${response.status}`;
};

/** How attackers send: `burst` fires all copies at once every second (the attack, repeated); `flood` sends each copy again as soon as it was answered. */
export type AttackMode = 'burst' | 'flood';

/**
 * `copies` attackers for `windowMs` (see AttackMode); meanwhile /healthz (20/s) and another
 * user's sendMessage (10/s) on fixed schedules, and the API's RSS sampled every 50 ms.
 */
export const runAttack = async (
  target: Target,
  input: { label: string; copies: number; mode: AttackMode; windowMs: number },
): Promise<AttackPhase> => {
  const answers: number[] = [];
  const codes: Record<string, number> = {};
  let rssPeakMb = readRss(target.pid).rssMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, readRss(target.pid).rssMb)), 50);
  const until = performance.now() + input.windowMs;
  const attack = async () => {
    const started = performance.now();
    const code = await post(target.url, target.query, target.attackerToken).catch(
      (error: Error) => `failed: ${error.message}`,
    );
    answers.push(performance.now() - started);
    codes[code] = (codes[code] ?? 0) + 1;
  };
  const attackers =
    input.mode === 'flood'
      ? Array.from({ length: input.copies }, async () => {
          while (performance.now() < until) await attack();
        })
      : [
          (async () => {
            while (performance.now() < until) {
              const round = performance.now();
              await Promise.all(Array.from({ length: input.copies }, attack));
              await sleep(Math.max(0, 1_000 - (performance.now() - round)));
            }
          })(),
        ];
  const healthzUrl = target.url.replace(/\/graphql$/, '/healthz');
  const [healthz, sends] = await Promise.all([
    openLoop({ rate: 20, durationMs: input.windowMs, fire: () => fetch(healthzUrl).then((r) => r.text()) }),
    openLoop({ rate: 10, durationMs: input.windowMs, fire: target.send }),
    ...attackers,
  ]);
  clearInterval(sampler);
  rssPeakMb = Math.max(rssPeakMb, readRss(target.pid).rssMb);
  return {
    label: input.label,
    copies: input.copies,
    requests: answers.length,
    answerMs: rounded(summarize(answers)),
    codes,
    rssPeakMb: Math.round(rssPeakMb),
    healthzMs: rounded(healthz.callMs),
    sendMessageMs: rounded(sends.callMs),
    sendErrors: sends.failed,
  };
};
