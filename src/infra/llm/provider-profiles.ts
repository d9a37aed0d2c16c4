/**
 * What differs between OpenAI-compatible providers, in one place: the request fields each one
 * understands for the output limit and the thinking switch. Replies are read the same way for all
 * (`openai-chat-model.ts` takes reasoning from `reasoning_content` or `reasoning`, usage from the
 * last chunk), so a profile only shapes the request.
 */
export const MODEL_PROVIDERS = ['openai', 'ark', 'vllm', 'ollama', 'generic'] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

interface ModelSettings {
  readonly name: string;
  readonly maxOutputTokens: number;
}

export type ProviderProfile = (model: ModelSettings, thinking: boolean) => Record<string, unknown>;

const PROFILES: Record<ModelProvider, ProviderProfile> = {
  // OpenAI deprecated max_tokens for every model; reasoning is internal (only counted in usage), so
  // thinking has no request field. `reasoning_effort` stays at the model's default.
  openai: (model) => ({ max_completion_tokens: model.maxOutputTokens }),
  // Volcengine Ark and DeepSeek-style APIs: a thinking object; reasoning arrives as reasoning_content.
  ark: (model, thinking) => ({
    max_tokens: model.maxOutputTokens,
    thinking: { type: thinking ? 'enabled' : 'disabled' },
  }),
  // vLLM serving Qwen3-style chat templates: the template's enable_thinking switch.
  vllm: (model, thinking) => ({
    max_tokens: model.maxOutputTokens,
    chat_template_kwargs: { enable_thinking: thinking },
  }),
  // Ollama's /v1 endpoint maps reasoning_effort to its think switch ("none" turns it off; without
  // the field a thinking-capable model thinks anyway); reasoning arrives as `reasoning`.
  ollama: (model, thinking) => ({ max_tokens: model.maxOutputTokens, reasoning_effort: thinking ? 'medium' : 'none' }),
  // Any other server: the classic field only, nothing it might reject as unknown.
  generic: (model) => ({ max_tokens: model.maxOutputTokens }),
};

export const providerProfile = (provider: ModelProvider): ProviderProfile => PROFILES[provider];
