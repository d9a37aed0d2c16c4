import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../../src/config';
import type { ModelEvent } from '../../src/domain/chat/chat-types';
import { ModelError } from '../../src/domain/chat/model-error';
import type { ChatModel } from '../../src/domain/ports/chat-model';
import { createChatModel } from '../../src/infra/llm/create-chat-model';
import { createOpenAiChatModel } from '../../src/infra/llm/openai-chat-model';
import { type FakeOpenAi, startFakeOpenAi } from '../../tools/kit/fake-openai-server';
import { collectModelEvents, PROMPT } from '../support/model-stream';

const llmConfig = (overrides: Partial<AppConfig['llm']> = {}): AppConfig['llm'] => ({
  baseUrl: 'http://127.0.0.1:1/v1',
  apiKey: undefined,
  timeoutMs: 5_000,
  provider: 'ark',
  models: {
    WORKER: { name: 'worker-model', contextTokens: 8_000, maxOutputTokens: 256, historyLimit: 50 },
    STRATEGIST: { name: 'strategist-model', contextTokens: 16_000, maxOutputTokens: 512, historyLimit: 50 },
  },
  ...overrides,
});

const messages = PROMPT;
const collect = collectModelEvents;

const texts = (events: ModelEvent[], type: 'token' | 'reasoning') =>
  events.flatMap((event) => (event.type === type ? [event.text] : []));

const expectModelError = (error: unknown, code: ModelError['code']) => {
  expect(error).toBeInstanceOf(ModelError);
  expect((error as ModelError).code).toBe(code);
  expect((error as ModelError).cause).toBeDefined();
  return error as ModelError;
};

describe('OpenAI chat model against a real SSE server', () => {
  let server: FakeOpenAi;
  let model: ChatModel;

  beforeAll(async () => {
    server = await startFakeOpenAi();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.setScript(() => ({ tokens: ['Hi', ' there', '!'], reasoning: ['Hmm', '…'] }));
    model = createOpenAiChatModel(llmConfig({ baseUrl: server.baseUrl }));
  });

  it('streams tokens in order, then one usage event, and sends the chosen model and limits', async () => {
    const { events, error } = await collect(model.stream({ choice: 'STRATEGIST', messages, thinking: false }));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'token', text: 'Hi' },
      { type: 'token', text: ' there' },
      { type: 'token', text: '!' },
      { type: 'usage', promptTokens: 4, completionTokens: 3 },
    ]);
    expect(server.requests[0]).toMatchObject({
      model: 'strategist-model',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 512,
      messages: [...messages],
    });
    expect(model.modelName('WORKER')).toBe('worker-model');
  });

  it.each([
    ['ark', { thinking: { type: 'enabled' } }, { thinking: { type: 'disabled' } }],
    ['vllm', { chat_template_kwargs: { enable_thinking: true } }, { chat_template_kwargs: { enable_thinking: false } }],
  ] as const)('%s style: reasoning events only when thinking is on', async (style, onBody, offBody) => {
    model = createOpenAiChatModel(llmConfig({ baseUrl: server.baseUrl, provider: style }));

    const on = await collect(model.stream({ choice: 'WORKER', messages, thinking: true }));
    const off = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));

    expect(texts(on.events, 'reasoning')).toEqual(['Hmm', '…']);
    expect(on.events.map((event) => event.type)).toEqual([
      'reasoning',
      'reasoning',
      'token',
      'token',
      'token',
      'usage',
    ]);
    expect(texts(off.events, 'reasoning')).toEqual([]);
    expect(texts(off.events, 'token')).toEqual(['Hi', ' there', '!']);
    expect(server.requests[0]).toMatchObject(onBody);
    expect(server.requests[1]).toMatchObject(offBody);
  });

  it('the generic profile sends no thinking fields', async () => {
    model = createOpenAiChatModel(llmConfig({ baseUrl: server.baseUrl, provider: 'generic' }));
    await collect(model.stream({ choice: 'WORKER', messages, thinking: true }));
    expect(server.requests[0]).not.toHaveProperty('thinking');
    expect(server.requests[0]).not.toHaveProperty('chat_template_kwargs');
  });

  it('maps HTTP 400 to MODEL_REJECTED with the status in the message', async () => {
    server.setScript(() => ({ status: 400 }));
    const { error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));
    expect(expectModelError(error, 'MODEL_REJECTED').message).toContain('400');
  });

  it('maps HTTP 500 to MODEL_UNAVAILABLE, without retrying', async () => {
    server.setScript(() => ({ status: 500 }));
    const { error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));
    expectModelError(error, 'MODEL_UNAVAILABLE');
    expect(server.requests).toHaveLength(1);
  });

  it('maps a refused connection to MODEL_UNAVAILABLE', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    model = createOpenAiChatModel(llmConfig({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    const { error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));
    expectModelError(error, 'MODEL_UNAVAILABLE');
  });

  it('maps a socket destroyed mid-stream to MODEL_STREAM_CUT, after yielding the tokens before it', async () => {
    server.setScript(() => ({ tokens: ['a', 'b', 'c', 'd'], cutAfter: 2 }));
    const { events, error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));
    expectModelError(error, 'MODEL_STREAM_CUT');
    expect(texts(events, 'token')).toEqual(['a', 'b']);
  });

  it('maps a body that ends cleanly without finish_reason to MODEL_STREAM_CUT', async () => {
    server.setScript(() => ({ tokens: ['a', 'b', 'c'], endAfter: 1 }));
    const { events, error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));
    expect(error).toBeInstanceOf(ModelError);
    expect((error as ModelError).code).toBe('MODEL_STREAM_CUT');
    expect(texts(events, 'token')).toEqual(['a']);
  });

  it.each([
    ['before the headers', { stallBeforeHeaders: true }, []],
    ['after the headers', { stallAfter: 0 }, []],
    ['after 2 tokens', { stallAfter: 2 }, ['a', 'b']],
  ])('maps a stream that stalls %s to MODEL_TIMEOUT after timeoutMs', async (_when, stall, tokensBefore) => {
    server.setScript(() => ({ tokens: ['a', 'b', 'c'], ...stall }));
    model = createOpenAiChatModel(llmConfig({ baseUrl: server.baseUrl, timeoutMs: 500 }));

    const started = Date.now();
    const { events, error } = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));

    expectModelError(error, 'MODEL_TIMEOUT');
    expect(texts(events, 'token')).toEqual(tokensBefore);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('throws the abort reason, not a ModelError, when the caller aborts mid-stream', async () => {
    server.setScript(() => ({ tokens: ['a', 'b', 'c', 'd'], stallAfter: 1 }));
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const events: ModelEvent[] = [];

    const run = (async () => {
      for await (const event of model.stream({
        choice: 'WORKER',
        messages,
        thinking: false,
        signal: controller.signal,
      })) {
        events.push(event);
        controller.abort(reason);
      }
    })();

    await expect(run).rejects.toBe(reason);
    expect(texts(events, 'token')).toEqual(['a']);
  });

  it('createChatModel picks the OpenAI adapter when a base URL is configured', async () => {
    const picked = createChatModel(llmConfig({ baseUrl: server.baseUrl }));
    const { events } = await collect(picked.stream({ choice: 'WORKER', messages, thinking: false }));
    expect(picked.modelName('WORKER')).toBe('worker-model');
    expect(texts(events, 'token')).toEqual(['Hi', ' there', '!']);
  });
});
