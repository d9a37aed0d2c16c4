import type { ModelChoice, ModelEvent, PromptMessage } from '../chat/chat-types';

/** Errors a model stream can end with; each becomes a FAILED reply event with this code. */
export type ModelErrorCode = 'MODEL_TIMEOUT' | 'MODEL_REJECTED' | 'MODEL_UNAVAILABLE' | 'MODEL_STREAM_CUT';

/**
 * An OpenAI-compatible chat model.
 * Guarantee: yields events as the provider streams them and ends normally only when the
 * provider finished the reply; any failure is thrown as a ModelError with its code.
 */
export interface ChatModel {
  stream(input: {
    choice: ModelChoice;
    messages: readonly PromptMessage[];
    thinking: boolean;
    signal?: AbortSignal;
  }): AsyncIterable<ModelEvent>;
  /** The provider's model name for a choice (recorded with the assistant message). */
  modelName(choice: ModelChoice): string;
}
