import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promptTokensOf, type ProviderDialect, type RecordedRequest } from './provider-dialects';

/** What the fake answers to one request; every field is optional. */
export interface FakeReply {
  /** Content tokens, streamed in order. Default: an echo of the last user message. */
  readonly tokens?: readonly string[];
  /** Reasoning tokens, streamed first, and only when the request enables thinking (ark or qwen style). */
  readonly reasoning?: readonly string[];
  /** Time between chunks, kept to a fixed rate (no drift) for benchmarks. Default 0. */
  readonly tokenDelayMs?: number;
  /** Answer with this HTTP status and an OpenAI-style JSON error body instead of a stream. */
  readonly status?: number;
  /** Destroy the socket after this many content tokens: no finish_reason, no [DONE]. */
  readonly cutAfter?: number;
  /** End the response cleanly after this many content tokens, without finish_reason or [DONE]. */
  readonly endAfter?: number;
  /** Stop sending after this many content tokens and keep the socket open (0: headers only). */
  readonly stallAfter?: number;
  /** Pause after this many content tokens until `until` settles, then go on: lets a test act mid-reply without racing the stream. */
  readonly holdAfter?: { readonly tokens: number; readonly until: Promise<unknown> };
  /** Never answer at all, not even headers: the SDK's own timeout phase. */
  readonly stallBeforeHeaders?: boolean;
}

/** A request body as the fake received it (parsed JSON). */
export type { RecordedRequest };
export type FakeScript = (request: RecordedRequest) => FakeReply;

export interface FakeOpenAi {
  /** Base URL for the OpenAI client, ending in /v1. */
  readonly baseUrl: string;
  /** Bodies of every chat completion request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Bodies of the requests whose client closed the connection before the response ended (an aborted request). */
  readonly aborted: RecordedRequest[];
  setScript(script: FakeScript): void;
  close(): Promise<void>;
}

/** Whether the request turned reasoning on, in either extension style the adapter sends. */
export const thinkingRequested = (body: RecordedRequest) => {
  const ark = body['thinking'] as { type?: string } | undefined;
  const qwen = body['chat_template_kwargs'] as { enable_thinking?: boolean } | undefined;
  return ark?.type === 'enabled' || qwen?.enable_thinking === true;
};

const echoTokens = (body: RecordedRequest) => {
  const lastUser = [...(body.messages ?? [])].reverse().find((message) => message.role === 'user')?.content ?? '';
  return [
    'Echo:',
    ...lastUser
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => ` ${word}`),
  ];
};

/** The default: deterministic echo tokens and a short reasoning line. */
export const defaultScript: FakeScript = (body) => ({ tokens: echoTokens(body), reasoning: ['Let', ' me', ' think.'] });

const chunk = (model: string, delta: Record<string, unknown>, finishReason: string | null = null) => ({
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  created: Math.floor(Date.now() / 1000),
  model,
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

const write = (res: http.ServerResponse, data: unknown) =>
  new Promise<void>((resolve) =>
    res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`, () => resolve()),
  );

const sendError = (
  res: http.ServerResponse,
  status: number,
  message = `fake error ${status}`,
  fields: Readonly<Record<string, unknown>> = {},
) => {
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, param: null, code: null, ...fields } }));
};

/** Responses the fake cut itself (cutAfter): their close is not the client's abort. */
const cutByFake = new WeakSet<http.ServerResponse>();

/** Streams one scripted reply; the failure modes stop it partway on purpose. */
const streamReply = async (
  res: http.ServerResponse,
  body: RecordedRequest,
  reply: FakeReply,
  dialect?: ProviderDialect,
) => {
  const model = body.model ?? 'fake-model';
  const reasoning = (dialect ? dialect.thinkingOn(body) : thinkingRequested(body)) ? (reply.reasoning ?? []) : [];
  const tokens = reply.tokens ?? echoTokens(body);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  const reasoningField = dialect?.reasoningField ?? 'reasoning_content';
  const deltas: Record<string, string>[] = [
    ...reasoning.map((text) => ({ [reasoningField]: text })),
    ...tokens.map((text) => ({ content: text })),
  ];
  const started = Date.now();
  let sentTokens = 0;
  for (const [index, delta] of deltas.entries()) {
    if (res.destroyed) return; // the client gave up
    if ('content' in delta) {
      if (reply.stallAfter === sentTokens) return; // leave the socket open and silent
      if (reply.cutAfter === sentTokens) return void (cutByFake.add(res), res.socket?.destroy());
      if (reply.endAfter === sentTokens) return void res.end();
      if (reply.holdAfter?.tokens === sentTokens) await reply.holdAfter.until;
      sentTokens += 1;
    }
    const due = started + index * (reply.tokenDelayMs ?? 0) - Date.now();
    if (due > 0) await sleep(due);
    await write(res, chunk(model, index === 0 ? { role: 'assistant', ...delta } : delta));
  }
  if (reply.stallAfter === sentTokens) return;
  await write(res, chunk(model, {}, 'stop'));
  const streamOptions = body['stream_options'] as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage) {
    const promptTokens = promptTokensOf(body);
    const hidden = dialect?.reasoningTokens(body);
    const completion = deltas.length + (hidden ?? 0);
    const details = hidden === undefined ? {} : { completion_tokens_details: { reasoning_tokens: hidden } };
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
      ...details,
    };
    await write(res, { ...chunk(model, {}), choices: [], usage });
  }
  await write(res, '[DONE]');
  res.end();
};

/** A non-streaming answer, for completeness: the adapter always streams. */
const sendCompletion = (res: http.ServerResponse, body: RecordedRequest, reply: FakeReply) => {
  const content = (reply.tokens ?? echoTokens(body)).join('');
  res.writeHead(200, { 'content-type': 'application/json' });
  const message = { role: 'assistant', content };
  res.end(
    JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, message, finish_reason: 'stop' }],
    }),
  );
};

const readJson = async (req: http.IncomingMessage): Promise<RecordedRequest> => {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return JSON.parse(Buffer.concat(parts).toString('utf8')) as RecordedRequest;
};

/**
 * Starts a real OpenAI-compatible server on 127.0.0.1 (a free port) that streams Server-Sent
 * Events like the Chat Completions API, so adapter tests exercise the SDK's real HTTP path.
 */
export const startFakeOpenAi = async (
  options: { script?: FakeScript; dialect?: ProviderDialect } = {},
): Promise<FakeOpenAi> => {
  let script = options.script ?? defaultScript;
  const requests: RecordedRequest[] = [];
  const aborted: RecordedRequest[] = [];
  let closing = false;
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    void readJson(req)
      .then((body) => {
        requests.push(body);
        // Closed before the end was written, and not by the fake itself (cutAfter, close()).
        res.on('close', () => {
          if (!res.writableEnded && !closing && !cutByFake.has(res)) aborted.push(body);
        });
        const reply = script(body);
        if (reply.stallBeforeHeaders) return;
        if (reply.status !== undefined) return sendError(res, reply.status);
        const refusal = options.dialect?.refuse(body);
        if (refusal) return sendError(res, refusal.status, refusal.message, refusal.fields);
        return body['stream'] === true
          ? streamReply(res, body, reply, options.dialect)
          : sendCompletion(res, body, reply);
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    aborted,
    setScript: (next) => {
      script = next;
    },
    // Stalled streams and keep-alive sockets would otherwise hold close() open.
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
};
