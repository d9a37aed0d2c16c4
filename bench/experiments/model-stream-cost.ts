/**
 * The CPU one streamed reply costs the process that reads it: the fake OpenAI server (in a child
 * process, so its own CPU is not counted) streams 20 tokens with no delay, and this process reads
 * `--streams` replies one after another, three ways:
 *   sdk            the openai SDK as the service uses it (Node's built-in fetch);
 *   sdk-node-http  the same SDK given a minimal fetch written on node:http (a measurement, not a
 *                  product: no TLS, no redirects, no proxy);
 *   raw            node:http and a bare SSE parser, no SDK: the floor.
 * One JSON line per way and round: µs of CPU and ms of wall time per reply. It says what the model
 * client costs per chat turn against the rest of the turn (`npm run bench -- --scenario chat`).
 *
 *   npx tsx bench/experiments/model-stream-cost.ts [--streams 400] [--rounds 2]
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { startFakeOpenAi } from '../../tools/kit/fake-openai-server';

const { values } = parseArgs({
  options: { streams: { type: 'string' }, rounds: { type: 'string' }, serve: { type: 'boolean' } },
});
const STREAMS = Number(values.streams ?? 400);
const ROUNDS = Number(values.rounds ?? 2);
const TOKENS = 20;
const REQUEST = {
  model: 'bench-model',
  messages: [{ role: 'user' as const, content: 'hello' }],
  stream: true as const,
  stream_options: { include_usage: true },
};

/** The child: the fake server, printing its base URL. */
const serve = async () => {
  const fake = await startFakeOpenAi({
    script: () => ({ tokens: Array.from({ length: TOKENS }, (_, i) => ` t${i}`) }),
  });
  process.stdout.write(`${fake.baseUrl}\n`);
};

const agent = new http.Agent({ keepAlive: true });

/** Just enough fetch for the SDK's POST of a JSON body and its streamed answer. */
const nodeHttpFetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  return new Promise<Response>((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: init?.method, headers, agent },
      (response) => {
        const answer = new Headers();
        for (const [key, value] of Object.entries(response.headers))
          if (value !== undefined) answer.set(key, Array.isArray(value) ? value.join(', ') : value);
        resolve(
          new Response(Readable.toWeb(response) as ReadableStream, { status: response.statusCode, headers: answer }),
        );
      },
    );
    request.on('error', reject);
    request.end(init?.body as string | undefined);
  });
}) as typeof fetch;

const viaSdk = (client: OpenAI) => async () => {
  let tokens = 0;
  for await (const chunk of await client.chat.completions.create(REQUEST))
    if (chunk.choices[0]?.delta?.content) tokens += 1;
  return tokens;
};

const viaRawHttp = (baseUrl: string) => {
  const url = new URL(`${baseUrl}/chat/completions`);
  const body = JSON.stringify(REQUEST);
  return () =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let buffered = '';
          let tokens = 0;
          response.setEncoding('utf8');
          response.on('data', (text: string) => {
            buffered += text;
            for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
              const event = buffered.slice(0, end);
              buffered = buffered.slice(end + 2);
              const data = event.startsWith('data: ') ? event.slice(6) : '';
              if (data && data !== '[DONE]') {
                const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[] };
                if (chunk.choices?.[0]?.delta?.content) tokens += 1;
              }
            }
          });
          response.on('end', () => resolve(tokens));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
};

const measure = async (way: string, round: number, one: () => Promise<number>) => {
  for (let i = 0; i < 50; i += 1) await one();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < STREAMS; i += 1) {
    const tokens = await one();
    if (tokens !== TOKENS) throw new Error(`${way}: ${tokens} tokens read, ${TOKENS} sent`);
  }
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({
      way,
      round,
      cpuUsPerReply: Math.round((used.user + used.system) / STREAMS),
      wallMsPerReply: Math.round(((performance.now() - started) / STREAMS) * 100) / 100,
    })}\n`,
  );
};

const main = async () => {
  const child = spawn(process.execPath, [...process.execArgv, __filename, '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.once('data', (line: string) => resolve(line.trim()));
      child.once('exit', (code) => reject(new Error(`the fake server exited (${code})`)));
    });
    const options = { baseURL: baseUrl, apiKey: 'not-needed', maxRetries: 0 };
    const ways: [string, () => Promise<number>][] = [
      ['sdk', viaSdk(new OpenAI(options))],
      ['sdk-node-http', viaSdk(new OpenAI({ ...options, fetch: nodeHttpFetch }))],
      ['raw', viaRawHttp(baseUrl)],
    ];
    for (let round = 1; round <= ROUNDS; round += 1) for (const [way, one] of ways) await measure(way, round, one);
  } finally {
    child.kill();
    agent.destroy();
  }
};

(values.serve ? serve() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
