/** A request body as the fake model server received it. */
export type RecordedRequest = Record<string, unknown> & {
  model?: string;
  messages?: { role: string; content: string }[];
};

/**
 * How one provider's Chat Completions endpoint treats a streaming request, as its documentation
 * describes it: what it refuses with a 400, how its thinking switch reads, where reasoning text
 * and reasoning usage arrive. The fake server follows a dialect so the adapter's request for each
 * provider profile is checked against that provider's rules, not against a lenient echo.
 */
export interface ProviderDialect {
  readonly name: string;
  /** Why the provider would answer 400, or null when it accepts the body. */
  refuse(body: RecordedRequest): string | null;
  /** Whether the request turns reasoning on (the fake then streams reasoning first). */
  thinkingOn(body: RecordedRequest): boolean;
  readonly reasoningField: 'reasoning_content' | 'reasoning';
  /** OpenAI reports hidden reasoning as usage.completion_tokens_details.reasoning_tokens. */
  readonly reasoningTokensInUsage?: number;
}

const has = (body: RecordedRequest, field: string) => body[field] !== undefined;
const unknownFields = (body: RecordedRequest, fields: readonly string[]) => fields.find((field) => has(body, field));
const isReasoningModel = (model: string | undefined) => /^(o\d|gpt-5)/i.test(model ?? '');

/** OpenAI: unknown arguments are errors; reasoning models take only max_completion_tokens and no sampling parameters. */
export const openAiDialect: ProviderDialect = {
  name: 'openai',
  refuse(body) {
    const unknown = unknownFields(body, ['thinking', 'chat_template_kwargs']);
    if (unknown) return `Unrecognized request argument supplied: ${unknown}`;
    if (isReasoningModel(body.model)) {
      if (has(body, 'max_tokens'))
        return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.";
      const sampling = unknownFields(body, ['temperature', 'top_p']);
      if (sampling) return `Unsupported parameter: '${sampling}' is not supported with this model.`;
    } else if (has(body, 'reasoning_effort')) {
      return 'Unrecognized request argument supplied: reasoning_effort';
    }
    return null;
  },
  // Reasoning models think, but never stream the reasoning text through Chat Completions.
  thinkingOn: () => false,
  reasoningField: 'reasoning_content',
  reasoningTokensInUsage: 64,
};

/** Volcengine Ark (and DeepSeek-style APIs): thinking.type enabled | disabled | auto; reasoning_content. */
export const arkDialect: ProviderDialect = {
  name: 'ark',
  refuse(body) {
    const thinking = body['thinking'] as { type?: unknown } | undefined;
    if (thinking && !['enabled', 'disabled', 'auto'].includes(String(thinking.type)))
      return `invalid thinking.type ${String(thinking.type)}`;
    return null;
  },
  thinkingOn: (body) => (body['thinking'] as { type?: string } | undefined)?.type === 'enabled',
  reasoningField: 'reasoning_content',
};

/** vLLM with a Qwen3-style chat template: chat_template_kwargs.enable_thinking (on unless false). */
export const vllmDialect: ProviderDialect = {
  name: 'vllm',
  refuse(body) {
    const kwargs = body['chat_template_kwargs'] as { enable_thinking?: unknown } | undefined;
    if (kwargs && kwargs.enable_thinking !== undefined && typeof kwargs.enable_thinking !== 'boolean')
      return 'enable_thinking must be a boolean';
    return null;
  },
  thinkingOn: (body) =>
    (body['chat_template_kwargs'] as { enable_thinking?: boolean } | undefined)?.enable_thinking !== false,
  reasoningField: 'reasoning_content',
};

/** Ollama's /v1 endpoint: reasoning_effort high | medium | low | none; without it a thinking model thinks; `reasoning` deltas. */
export const ollamaDialect: ProviderDialect = {
  name: 'ollama',
  refuse(body) {
    const effort = body['reasoning_effort'];
    if (effort !== undefined && !['high', 'medium', 'low', 'none'].includes(String(effort)))
      return `invalid reasoning_effort ${String(effort)}`;
    return null;
  },
  thinkingOn: (body) => body['reasoning_effort'] !== 'none',
  reasoningField: 'reasoning',
};
