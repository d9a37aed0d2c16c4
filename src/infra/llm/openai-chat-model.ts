import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { AppConfig } from '../../config';
import type { ModelChoice, ModelEvent, PromptMessage } from '../../domain/chat/chat-types';
import { ModelError } from '../../domain/chat/model-error';
import { providerProfile } from './provider-profiles';
import type { ChatModel } from '../../domain/ports/chat-model';

type LlmConfig = AppConfig['llm'];
type StreamInput = Parameters<ChatModel['stream']>[0];

const requestBody = (llm: LlmConfig, input: StreamInput): ChatCompletionCreateParamsStreaming => {
  const model = llm.models[input.choice];
  return {
    model: model.name,
    messages: input.messages.map((message: PromptMessage) => ({ role: message.role, content: message.content })),
    stream: true,
    stream_options: { include_usage: true },
    // Spread last and untyped: the provider's own fields (output limit, thinking switch).
    ...providerProfile(llm.provider)(model, input.thinking),
  };
};

/**
 * One abort signal for the request that fires on the caller's abort or after `idleMs` without
 * data. The SDK's own timeout stops at the response headers, so a provider that stalls
 * mid-stream would otherwise hang the reply forever. It also keeps the SDK from adding a
 * listener per request to a long-lived caller signal that it never removes.
 */
const createWatchdog = (idleMs: number, outer: AbortSignal | undefined) => {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const onOuterAbort = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  if (outer?.aborted) controller.abort(outer.reason);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no data for ${idleMs} ms`, 'TimeoutError'));
    }, idleMs);
  };
  touch();
  return {
    signal: controller.signal,
    touch,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    },
  };
};
type Watchdog = ReturnType<typeof createWatchdog>;

/** Maps whatever the SDK or the socket threw to the port's error codes, keeping it as cause. */
const toModelError = (error: unknown, watchdog: Watchdog, idleMs: number): ModelError => {
  if (error instanceof ModelError) return error;
  const cause = { cause: error };
  if (watchdog.timedOut() || error instanceof APIConnectionTimeoutError) {
    return new ModelError('MODEL_TIMEOUT', `model sent nothing for ${idleMs} ms`, cause);
  }
  if (error instanceof APIConnectionError)
    return new ModelError('MODEL_UNAVAILABLE', `model unreachable: ${error.message}`, cause);
  if (error instanceof APIError) {
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      return new ModelError(
        'MODEL_REJECTED',
        `model rejected the request (HTTP ${error.status}): ${error.message}`,
        cause,
      );
    }
    // 5xx, or an error event inside a 200 stream (status undefined): the provider failed.
    return new ModelError('MODEL_UNAVAILABLE', `model failed: ${error.message}`, cause);
  }
  // Raw errors only come from reading the body: the socket was reset or the data was garbled.
  return new ModelError(
    'MODEL_STREAM_CUT',
    `model stream broke: ${error instanceof Error ? error.message : String(error)}`,
    cause,
  );
};

/** The events one chunk carries, in the order a reader should see them. */
function* eventsOf(chunk: ChatCompletionChunk): Generator<ModelEvent> {
  // Ark, DeepSeek and older vLLM send `reasoning_content`; newer vLLM and OpenRouter `reasoning`.
  const delta = chunk.choices[0]?.delta as
    (ChatCompletionChunk.Choice.Delta & { reasoning_content?: unknown; reasoning?: unknown }) | undefined;
  const reasoning = delta?.reasoning_content ?? delta?.reasoning;
  if (typeof reasoning === 'string' && reasoning !== '') yield { type: 'reasoning', text: reasoning };
  if (typeof delta?.content === 'string' && delta.content !== '') yield { type: 'token', text: delta.content };
}

async function* streamReply(client: OpenAI, llm: LlmConfig, input: StreamInput): AsyncGenerator<ModelEvent> {
  const watchdog = createWatchdog(llm.timeoutMs, input.signal);
  let finished = false;
  let usage: ChatCompletionChunk['usage'];
  try {
    const stream = await client.chat.completions.create(requestBody(llm, input), { signal: watchdog.signal });
    for await (const chunk of stream) {
      watchdog.touch();
      yield* eventsOf(chunk);
      if (chunk.choices[0]?.finish_reason) finished = true;
      usage = chunk.usage ?? usage;
    }
    // The SDK ends the loop quietly when its signal aborts, so "no more chunks" is not success.
    input.signal?.throwIfAborted();
    if (watchdog.timedOut()) throw watchdog.signal.reason;
    if (!finished) throw new ModelError('MODEL_STREAM_CUT', 'model stream ended before the reply finished');
  } catch (error) {
    input.signal?.throwIfAborted();
    // The reply was whole; losing only the trailing usage chunk is not worth failing it.
    if (!finished) throw toModelError(error, watchdog, llm.timeoutMs);
  } finally {
    watchdog.dispose();
  }
  if (usage) yield { type: 'usage', promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

/**
 * A ChatModel over any OpenAI-compatible `/chat/completions` endpoint, streaming.
 *
 * Failures are thrown as ModelError: MODEL_TIMEOUT (no response or no chunk for
 * `timeoutMs`), MODEL_REJECTED (HTTP 4xx), MODEL_UNAVAILABLE (HTTP 5xx, connection refused,
 * or an error event in the stream), MODEL_STREAM_CUT (the body ended or broke before a
 * `finish_reason`). When the caller's `signal` aborts, the stream throws `signal.reason`
 * as is (not a ModelError), so a cut reply is never mistaken for a finished one.
 * Usage is yielded last, once, when the provider reported it.
 */
export const createOpenAiChatModel = (llm: LlmConfig): ChatModel => {
  const client = new OpenAI({
    baseURL: llm.baseUrl,
    apiKey: llm.apiKey ?? 'not-needed',
    timeout: llm.timeoutMs,
    // A retry would replay tokens the caller has already streamed to its subscribers.
    maxRetries: 0,
  });
  return {
    stream: (input) => streamReply(client, llm, input),
    modelName: (choice: ModelChoice) => llm.models[choice].name,
  };
};
