import type { AppConfig } from '../../src/config';
import type { ModelChoice, ModelEvent } from '../../src/domain/chat/chat-types';
import { ModelError } from '../../src/domain/chat/model-error';
import { createOpenAiChatModel } from '../../src/infra/llm/openai-chat-model';
import type { ModelProvider } from '../../src/infra/llm/provider-profiles';
import { collectModelEvents, PROMPT } from '../support/model-stream';
import { startFakeOpenAi, type FakeOpenAi } from '../../tools/kit/fake-openai-server';
import {
  ARK_MAX_OUTPUT_TOKENS,
  arkDialect,
  createOllamaDialect,
  OPENAI_HIDDEN_REASONING_TOKENS,
  openAiDialect,
  VLLM_MAX_MODEL_LEN,
  vllmDialect,
  type ProviderDialect,
} from '../../tools/kit/provider-dialects';

const messages = PROMPT;
const collect = collectModelEvents;

const llm = (
  provider: ModelProvider,
  baseUrl: string,
  names: Record<ModelChoice, string>,
  maxOutputTokens: Partial<Record<ModelChoice, number>> = {},
): AppConfig['llm'] => ({
  baseUrl,
  apiKey: 'test-key',
  timeoutMs: 5_000,
  provider,
  models: {
    WORKER: {
      name: names.WORKER,
      contextTokens: 8_000,
      maxOutputTokens: maxOutputTokens.WORKER ?? 256,
      historyLimit: 50,
    },
    STRATEGIST: {
      name: names.STRATEGIST,
      contextTokens: 16_000,
      maxOutputTokens: maxOutputTokens.STRATEGIST ?? 512,
      historyLimit: 50,
    },
  },
});

/**
 * A request this provider refuses by its own rule, made by a misconfigured app (the wrong
 * MODEL_PROVIDER, an output limit above the model's, a model the server does not hold), and the
 * status and words of that provider's refusal.
 */
interface Refused {
  readonly rule: string;
  readonly provider?: ModelProvider;
  readonly model?: string;
  readonly maxOutputTokens?: number;
  readonly status: number;
  readonly message: RegExp;
}

interface Case {
  readonly provider: ModelProvider;
  readonly dialect: ProviderDialect;
  readonly choice: ModelChoice;
  readonly names: Record<ModelChoice, string>;
  /** Reasoning text streamed when thinking is on (OpenAI keeps it hidden and only counts it). */
  readonly streamsReasoning: boolean;
  /** Hidden reasoning tokens the provider adds to the completion usage (OpenAI's reasoning models only). */
  readonly hiddenReasoningTokens: number;
  readonly refused: Refused;
}

const cases: Case[] = [
  {
    provider: 'openai',
    dialect: openAiDialect,
    choice: 'WORKER',
    names: { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' },
    streamsReasoning: false,
    hiddenReasoningTokens: 0,
    refused: {
      rule: 'unknown arguments are errors (the vllm profile against OpenAI)',
      provider: 'vllm',
      status: 400,
      message: /Unrecognized request argument supplied: chat_template_kwargs/,
    },
  },
  {
    provider: 'openai',
    dialect: openAiDialect,
    choice: 'STRATEGIST',
    names: { WORKER: 'gpt-4o-mini', STRATEGIST: 'o3-mini' },
    streamsReasoning: false,
    hiddenReasoningTokens: OPENAI_HIDDEN_REASONING_TOKENS,
    refused: {
      rule: 'o-series models refuse max_tokens (the generic profile against OpenAI)',
      provider: 'generic',
      status: 400,
      message: /'max_tokens' is not supported with this model\. Use 'max_completion_tokens' instead/,
    },
  },
  {
    provider: 'ark',
    dialect: arkDialect,
    choice: 'STRATEGIST',
    names: { WORKER: 'doubao-seed-1-6', STRATEGIST: 'deepseek-r1' },
    streamsReasoning: true,
    hiddenReasoningTokens: 0,
    refused: {
      rule: "max_tokens above the model's output maximum",
      maxOutputTokens: ARK_MAX_OUTPUT_TOKENS + 1,
      status: 400,
      message: new RegExp(`max_tokens .* not valid: .*expected a value <= ${ARK_MAX_OUTPUT_TOKENS}`),
    },
  },
  {
    provider: 'vllm',
    dialect: vllmDialect,
    choice: 'WORKER',
    names: { WORKER: 'Qwen/Qwen3-8B', STRATEGIST: 'Qwen/Qwen3-32B' },
    streamsReasoning: true,
    hiddenReasoningTokens: 0,
    refused: {
      rule: "prompt plus max_tokens above the server's --max-model-len",
      maxOutputTokens: VLLM_MAX_MODEL_LEN,
      status: 400,
      message: new RegExp(`maximum context length is ${VLLM_MAX_MODEL_LEN} tokens`),
    },
  },
  {
    provider: 'ollama',
    dialect: createOllamaDialect(['qwen3:8b', 'gpt-oss:20b']),
    choice: 'WORKER',
    names: { WORKER: 'qwen3:8b', STRATEGIST: 'gpt-oss:20b' },
    streamsReasoning: true,
    hiddenReasoningTokens: 0,
    refused: {
      rule: 'a model that was never pulled',
      model: 'qwen3:4b',
      status: 404,
      message: /model "qwen3:4b" not found, try pulling it first/,
    },
  },
];

/**
 * Contract tests: each provider profile's request against a fake that follows that provider's
 * documented wire format (what it refuses, its thinking switch, where reasoning and usage arrive).
 */
describe.each(cases)(
  'provider $provider, $choice ($names.$choice)',
  ({ provider, dialect, choice, names, streamsReasoning, hiddenReasoningTokens, refused }) => {
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
      // Streamed deltas, plus the hidden reasoning only a reasoning model reports.
      expect(on.events.at(-1)).toEqual(
        expect.objectContaining({
          type: 'usage',
          completionTokens: (streamsReasoning ? 3 : 2) + hiddenReasoningTokens,
        }),
      );
      expect(off.events.at(-1)).toEqual(
        expect.objectContaining({ type: 'usage', completionTokens: 2 + hiddenReasoningTokens }),
      );
      expect(server.requests.map((body) => body.model)).toEqual([names[choice], names[choice]]);
    });

    it(`refuses by its own rule, ${refused.rule}: MODEL_REJECTED`, async () => {
      const misconfigured = createOpenAiChatModel(
        llm(
          refused.provider ?? provider,
          server.baseUrl,
          { ...names, [choice]: refused.model ?? names[choice] },
          refused.maxOutputTokens ? { [choice]: refused.maxOutputTokens } : {},
        ),
      );
      const { events, error } = await collect(misconfigured.stream({ choice, messages, thinking: false }));
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe('MODEL_REJECTED');
      expect((error as ModelError).message).toContain(`HTTP ${refused.status}`);
      expect((error as ModelError).message).toMatch(refused.message);
      // The same app, configured right, is accepted by the same rules (the first test).
      const { error: none } = await collect(model().stream({ choice, messages, thinking: false }));
      expect(none).toBeUndefined();
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
        completionTokens: 1 + OPENAI_HIDDEN_REASONING_TOKENS,
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
