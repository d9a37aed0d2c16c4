import type { AppConfig } from '../../src/config';
import type { ModelChoice, ModelEvent } from '../../src/domain/chat/chat-types';
import { ModelError } from '../../src/domain/chat/model-error';
import { createOpenAiChatModel } from '../../src/infra/llm/openai-chat-model';
import type { ModelProvider } from '../../src/infra/llm/provider-profiles';
import { collectModelEvents, PROMPT } from '../support/model-stream';
import { startFakeOpenAi, type FakeOpenAi } from '../../tools/kit/fake-openai-server';
import {
  arkDialect,
  ollamaDialect,
  openAiDialect,
  vllmDialect,
  type ProviderDialect,
} from '../../tools/kit/provider-dialects';

const messages = PROMPT;
const collect = collectModelEvents;

const llm = (provider: ModelProvider, baseUrl: string, names: Record<ModelChoice, string>): AppConfig['llm'] => ({
  baseUrl,
  apiKey: 'test-key',
  timeoutMs: 5_000,
  provider,
  models: {
    WORKER: { name: names.WORKER, contextTokens: 8_000, maxOutputTokens: 256, historyLimit: 50 },
    STRATEGIST: { name: names.STRATEGIST, contextTokens: 16_000, maxOutputTokens: 512, historyLimit: 50 },
  },
});

interface Case {
  readonly provider: ModelProvider;
  readonly dialect: ProviderDialect;
  readonly choice: ModelChoice;
  readonly names: Record<ModelChoice, string>;
  /** Reasoning text streamed when thinking is on (OpenAI keeps it hidden and only counts it). */
  readonly streamsReasoning: boolean;
}

const cases: Case[] = [
  {
    provider: 'openai',
    dialect: openAiDialect,
    choice: 'WORKER',
    names: { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' },
    streamsReasoning: false,
  },
  {
    provider: 'openai',
    dialect: openAiDialect,
    choice: 'STRATEGIST',
    names: { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' },
    streamsReasoning: false,
  },
  {
    provider: 'ark',
    dialect: arkDialect,
    choice: 'STRATEGIST',
    names: { WORKER: 'doubao-seed-1-6', STRATEGIST: 'deepseek-r1' },
    streamsReasoning: true,
  },
  {
    provider: 'vllm',
    dialect: vllmDialect,
    choice: 'WORKER',
    names: { WORKER: 'Qwen/Qwen3-8B', STRATEGIST: 'Qwen/Qwen3-32B' },
    streamsReasoning: true,
  },
  {
    provider: 'ollama',
    dialect: ollamaDialect,
    choice: 'WORKER',
    names: { WORKER: 'qwen3:8b', STRATEGIST: 'gpt-oss:20b' },
    streamsReasoning: true,
  },
];

/**
 * Contract tests: each provider profile's request against a fake that follows that provider's
 * documented wire format (what it refuses, its thinking switch, where reasoning and usage arrive).
 */
describe.each(cases)(
  'provider $provider, $choice ($names.$choice)',
  ({ provider, dialect, choice, names, streamsReasoning }) => {
    let server: FakeOpenAi;
    beforeEach(async () => {
      server = await startFakeOpenAi({ dialect, script: () => ({ tokens: ['Hi', ' there'], reasoning: ['Hmm'] }) });
    });
    afterEach(() => server.close());
    const model = () => createOpenAiChatModel(llm(provider, server.baseUrl, names));

    it('streams a reply with usage, reasoning only when thinking is on', async () => {
      const on = await collect(model().stream({ choice, messages, thinking: true }));
      const off = await collect(model().stream({ choice, messages, thinking: false }));
      expect(on.error).toBeUndefined();
      expect(off.error).toBeUndefined();
      const types = (events: ModelEvent[]) => events.map((event) => event.type);
      expect(types(on.events)).toEqual([...(streamsReasoning ? ['reasoning'] : []), 'token', 'token', 'usage']);
      expect(types(off.events)).toEqual(['token', 'token', 'usage']);
      expect(on.events.at(-1)).toMatchObject({ type: 'usage', completionTokens: expect.any(Number) });
      expect(server.requests.map((body) => body.model)).toEqual([names[choice], names[choice]]);
    });

    it('maps a rejected request to MODEL_REJECTED', async () => {
      server.setScript(() => ({ status: 400 }));
      const { error } = await collect(model().stream({ choice, messages, thinking: false }));
      expect((error as ModelError).code).toBe('MODEL_REJECTED');
    });

    it('maps a cut stream to MODEL_STREAM_CUT after the tokens before the cut', async () => {
      server.setScript(() => ({ tokens: ['Hi', ' there', ' again'], cutAfter: 1 }));
      const { events, error } = await collect(model().stream({ choice, messages, thinking: false }));
      expect((error as ModelError).code).toBe('MODEL_STREAM_CUT');
      expect(events.filter((event) => event.type === 'token').map((event) => (event as { text: string }).text)).toEqual(
        ['Hi'],
      );
    });
  },
);

describe('OpenAI reasoning models', () => {
  it('count hidden reasoning tokens in the completion usage', async () => {
    const server = await startFakeOpenAi({ dialect: openAiDialect, script: () => ({ tokens: ['Done'] }) });
    try {
      const model = createOpenAiChatModel(
        llm('openai', server.baseUrl, { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' }),
      );
      const { events } = await collect(model.stream({ choice: 'STRATEGIST', messages, thinking: true }));
      expect(events.at(-1)).toMatchObject({
        type: 'usage',
        completionTokens: 1 + (openAiDialect.reasoningTokensInUsage ?? 0),
      });
      expect(server.requests[0]).toMatchObject({ max_completion_tokens: 512 });
      expect(server.requests[0]).not.toHaveProperty('max_tokens');
    } finally {
      await server.close();
    }
  });

  it('refuse the classic max_tokens field, which the generic profile sends (why the openai profile exists)', async () => {
    const server = await startFakeOpenAi({ dialect: openAiDialect });
    try {
      const model = createOpenAiChatModel(
        llm('generic', server.baseUrl, { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' }),
      );
      const { error } = await collect(model.stream({ choice: 'STRATEGIST', messages, thinking: false }));
      expect((error as ModelError).code).toBe('MODEL_REJECTED');
      expect((error as ModelError).message).toContain('max_completion_tokens');
    } finally {
      await server.close();
    }
  });
});
