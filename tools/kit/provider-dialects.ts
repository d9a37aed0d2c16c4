/** A request body as the fake model server received it. */
export type RecordedRequest = Record<string, unknown> & {
  model?: string;
  messages?: { role: string; content: string }[];
};

/** A provider's refusal: the HTTP status and its error object (OpenAI's shape: message, type, param, code). */
export interface Refusal {
  readonly status: number;
  readonly message: string;
  /** The error object's other fields, as that provider writes them. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/**
 * How one provider's Chat Completions endpoint treats a streaming request, as its documentation
 * (or its servers' own error messages) describe it: what it refuses and with which status, how its
 * thinking switch reads, where reasoning text and reasoning usage arrive. The fake server follows a
 * dialect so the adapter's request for each provider profile is checked against that provider's
 * rules, not against a lenient echo.
 */
export interface ProviderDialect {
  readonly name: string;
  /** Why the provider would refuse the body, or null when it accepts it. */
  refuse(body: RecordedRequest): Refusal | null;
  /** Whether the request turns reasoning on (the fake then streams reasoning first). */
  thinkingOn(body: RecordedRequest): boolean;
  readonly reasoningField: 'reasoning_content' | 'reasoning';
  /**
   * Hidden reasoning tokens reported in usage.completion_tokens_details.reasoning_tokens (and
   * counted in completion_tokens), or undefined when the provider sends no such detail.
   */
  reasoningTokens(body: RecordedRequest): number | undefined;
}

const has = (body: RecordedRequest, field: string) => body[field] !== undefined;
const unknownFields = (body: RecordedRequest, fields: readonly string[]) => fields.find((field) => has(body, field));
const isReasoningModel = (model: string | undefined) => /^(o\d|gpt-5)/i.test(model ?? '');
const badRequest = (message: string, fields?: Record<string, unknown>): Refusal => ({ status: 400, message, fields });

/** Words in the request's messages: the fake's stand-in for a tokenizer (usage and context checks agree). */
export const promptTokensOf = (body: RecordedRequest) =>
  (body.messages ?? []).reduce((sum, message) => sum + message.content.split(/\s+/).filter(Boolean).length, 0);

/** What the OpenAI fake reports as a reasoning model's hidden reasoning (an arbitrary, fixed count). */
export const OPENAI_HIDDEN_REASONING_TOKENS = 64;

/**
 * OpenAI: unknown arguments are errors; reasoning models (o-series, gpt-5) take only
 * max_completion_tokens and no sampling parameters, and other models no reasoning_effort. Only
 * reasoning models reason: their usage counts hidden reasoning tokens, other models report 0.
 */
export const openAiDialect: ProviderDialect = {
  name: 'openai',
  refuse(body) {
    const unknown = unknownFields(body, ['thinking', 'chat_template_kwargs']);
    if (unknown)
      return badRequest(`Unrecognized request argument supplied: ${unknown}`, { type: 'invalid_request_error' });
    if (isReasoningModel(body.model)) {
      if (has(body, 'max_tokens'))
        return badRequest(
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          { type: 'invalid_request_error', param: 'max_tokens', code: 'unsupported_parameter' },
        );
      const sampling = unknownFields(body, ['temperature', 'top_p']);
      if (sampling)
        return badRequest(`Unsupported parameter: '${sampling}' is not supported with this model.`, {
          type: 'invalid_request_error',
          param: sampling,
          code: 'unsupported_parameter',
        });
    } else if (has(body, 'reasoning_effort')) {
      return badRequest("Unsupported parameter: 'reasoning_effort' is not supported with this model.", {
        type: 'invalid_request_error',
        param: 'reasoning_effort',
        code: 'unsupported_parameter',
      });
    }
    return null;
  },
  // Reasoning models think, but never stream the reasoning text through Chat Completions.
  thinkingOn: () => false,
  reasoningField: 'reasoning_content',
  reasoningTokens: (body) => (isReasoningModel(body.model) ? OPENAI_HIDDEN_REASONING_TOKENS : 0),
};

/** The output maximum the Ark fake gives every model (real models differ; the rule is the same). */
export const ARK_MAX_OUTPUT_TOKENS = 32_768;

/**
 * Volcengine Ark (and DeepSeek-style APIs): thinking.type enabled | disabled | auto; reasoning_content.
 * A max_tokens above the model's output maximum is refused with Ark's InvalidParameter error.
 */
export const arkDialect: ProviderDialect = {
  name: 'ark',
  refuse(body) {
    const thinking = body['thinking'] as { type?: unknown } | undefined;
    if (thinking && !['enabled', 'disabled', 'auto'].includes(String(thinking.type)))
      return badRequest(`The parameter thinking.type specified in the request is not valid: ${String(thinking.type)}`, {
        code: 'InvalidParameter',
        param: 'thinking.type',
        type: 'BadRequest',
      });
    const maxTokens = body['max_tokens'];
    if (typeof maxTokens === 'number' && maxTokens > ARK_MAX_OUTPUT_TOKENS)
      return badRequest(
        `The parameter max_tokens specified in the request is not valid: integer above maximum value, expected a value <= ${ARK_MAX_OUTPUT_TOKENS}, but got ${maxTokens} instead.`,
        { code: 'InvalidParameter', param: 'max_tokens', type: 'BadRequest' },
      );
    return null;
  },
  thinkingOn: (body) => (body['thinking'] as { type?: string } | undefined)?.type === 'enabled',
  reasoningField: 'reasoning_content',
  reasoningTokens: () => undefined,
};

/** The fake vLLM server's --max-model-len (prompt and output together). */
export const VLLM_MAX_MODEL_LEN = 32_768;

/**
 * vLLM with a Qwen3-style chat template: chat_template_kwargs.enable_thinking (on unless false).
 * A request whose prompt plus max_tokens exceeds the server's --max-model-len is refused.
 */
export const vllmDialect: ProviderDialect = {
  name: 'vllm',
  refuse(body) {
    const kwargs = body['chat_template_kwargs'] as { enable_thinking?: unknown } | undefined;
    if (kwargs && kwargs.enable_thinking !== undefined && typeof kwargs.enable_thinking !== 'boolean')
      return badRequest('enable_thinking must be a boolean', { type: 'BadRequestError', code: 400 });
    const output = body['max_tokens'] ?? body['max_completion_tokens'];
    const prompt = promptTokensOf(body);
    if (typeof output === 'number' && prompt + output > VLLM_MAX_MODEL_LEN)
      return badRequest(
        `'max_tokens' or 'max_completion_tokens' is too large: ${output}. This model's maximum context length is ${VLLM_MAX_MODEL_LEN} tokens and your request has ${prompt} input tokens (${output} > ${VLLM_MAX_MODEL_LEN} - ${prompt}).`,
        { type: 'BadRequestError', code: 400 },
      );
    return null;
  },
  thinkingOn: (body) =>
    (body['chat_template_kwargs'] as { enable_thinking?: boolean } | undefined)?.enable_thinking !== false,
  reasoningField: 'reasoning_content',
  reasoningTokens: () => undefined,
};

/**
 * Ollama's /v1 endpoint: reasoning_effort high | medium | low | none; without it a thinking model
 * thinks; `reasoning` deltas. A model that was never pulled is answered 404. `pulled` lists the
 * models this server holds (undefined: any name is accepted).
 */
export const createOllamaDialect = (pulled?: readonly string[]): ProviderDialect => ({
  name: 'ollama',
  refuse(body) {
    const effort = body['reasoning_effort'];
    if (effort !== undefined && !['high', 'medium', 'low', 'none'].includes(String(effort)))
      return badRequest(`invalid reasoning value: '${String(effort)}' (must be "high", "medium", "low", or "none")`);
    if (pulled && !pulled.includes(body.model ?? ''))
      return { status: 404, message: `model "${body.model ?? ''}" not found, try pulling it first` };
    return null;
  },
  thinkingOn: (body) => body['reasoning_effort'] !== 'none',
  reasoningField: 'reasoning',
  reasoningTokens: () => undefined,
});
