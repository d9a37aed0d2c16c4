import type { ModelEvent, PromptMessage } from '../../src/domain/chat/chat-types';
import { createChatModel } from '../../src/infra/llm/create-chat-model';
import { createLocalChatModel, localReply } from '../../src/infra/llm/local-chat-model';
import { createFakeScheduler } from '../support/fakes/fake-scheduler';

const collect = async (stream: AsyncIterable<ModelEvent>) => {
  const events: ModelEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
};
const texts = (events: ModelEvent[], type: 'token' | 'reasoning') =>
  events.flatMap((event) => (event.type === type ? [event.text] : []));

const messages: PromptMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'first question' },
  { role: 'assistant', content: 'an answer' },
  { role: 'user', content: 'hello local model' },
];
const expectedReply = `You said: "hello local model". This is agent-relay's built-in local model; set OPENAI_BASE_URL to use a real one.`;

describe('local chat model', () => {
  const model = createLocalChatModel(undefined, { tokenDelayMs: 0 });

  it('quotes the last user message back, one word (with its trailing space) per token', async () => {
    const events = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));

    const tokens = texts(events, 'token');
    expect(tokens.join('')).toBe(expectedReply);
    expect(tokens.slice(0, 3)).toEqual(['You ', 'said: ', '"hello ']);
    expect(tokens.every((token) => token.trim().split(' ').length === 1)).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'usage', promptTokens: 9, completionTokens: tokens.length });
  });

  it('is deterministic', async () => {
    const first = await collect(model.stream({ choice: 'STRATEGIST', messages, thinking: true }));
    const second = await collect(model.stream({ choice: 'STRATEGIST', messages, thinking: true }));
    expect(second).toEqual(first);
  });

  it('streams reasoning first, and only when thinking', async () => {
    const thinking = await collect(model.stream({ choice: 'WORKER', messages, thinking: true }));
    const plain = await collect(model.stream({ choice: 'WORKER', messages, thinking: false }));

    expect(texts(thinking, 'reasoning').join('')).toBe('Thinking about your message…');
    const firstToken = thinking.findIndex((event) => event.type === 'token');
    expect(thinking.slice(0, firstToken).every((event) => event.type === 'reasoning')).toBe(true);
    expect(texts(plain, 'reasoning')).toEqual([]);
    expect(texts(thinking, 'token')).toEqual(texts(plain, 'token'));
  });

  it('truncates a long message to 200 characters, by code point', () => {
    const long = '😀'.repeat(300);
    expect(localReply([{ role: 'user', content: long }])).toContain(`"${'😀'.repeat(200)}…"`);
    expect(localReply([])).toContain('You said: ""');
  });

  it('throws the abort reason when the signal aborts mid-stream', async () => {
    const scheduler = createFakeScheduler({ autoAdvance: true });
    const slow = createLocalChatModel(undefined, { tokenDelayMs: 5, scheduler });
    const controller = new AbortController();
    const reason = new Error('shutting down');
    const events: ModelEvent[] = [];

    const run = (async () => {
      for await (const event of slow.stream({
        choice: 'WORKER',
        messages,
        thinking: false,
        signal: controller.signal,
      })) {
        events.push(event);
        if (events.length === 2) controller.abort(reason);
      }
    })();

    await expect(run).rejects.toBe(reason);
    expect(events).toHaveLength(2);
    // A pause before each event, the third cut short by the abort.
    expect(scheduler.sleeps).toEqual([5, 5, 5]);
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      collect(model.stream({ choice: 'WORKER', messages, thinking: false, signal: controller.signal })),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('names its models after the choice', () => {
    expect(model.modelName('WORKER')).toBe('local-worker');
    expect(model.modelName('STRATEGIST')).toBe('local-strategist');
  });

  it('is what createChatModel picks when no base URL is configured', () => {
    const llm = {
      baseUrl: undefined,
      apiKey: undefined,
      timeoutMs: 1_000,
      provider: 'generic' as const,
      models: {
        WORKER: { name: 'w', contextTokens: 1_000, maxOutputTokens: 100, historyLimit: 10 },
        STRATEGIST: { name: 's', contextTokens: 1_000, maxOutputTokens: 100, historyLimit: 10 },
      },
    };
    expect(createChatModel(llm).modelName('WORKER')).toBe('local-worker');
  });
});
