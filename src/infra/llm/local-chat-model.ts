import type { AppConfig } from '../../config';
import type { ModelChoice, ModelEvent, PromptMessage } from '../../domain/chat/chat-types';
import type { ChatModel } from '../../domain/ports/chat-model';
import type { Scheduler } from '../../domain/ports/scheduler';
import { systemScheduler } from '../system-scheduler';

/** Options for the built-in model. */
export interface LocalChatModelOptions {
  /** Pause before each streamed event, so the UI shows streaming; 0 in unit tests. Default 15. */
  readonly tokenDelayMs?: number;
  /** Whose time those pauses take (default: the runtime's timers). */
  readonly scheduler?: Scheduler;
}

const QUOTE_MAX_CHARS = 200;
const REASONING = 'Thinking about your message…';

/** Splits after each space so the pieces concatenate back to the exact text. */
const words = (text: string) => text.split(/(?<= )/).filter((piece) => piece !== '');
const countWords = (text: string) => text.split(/\s+/).filter(Boolean).length;

/** Truncates by code point, so an emoji at the boundary is never cut in half. */
const truncate = (text: string, max: number) => {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : text;
};

/** The reply to a prompt: deterministic, so tests and demos can predict it. */
export const localReply = (messages: readonly PromptMessage[]) => {
  const lastUser = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  return `You said: "${truncate(lastUser, QUOTE_MAX_CHARS)}". This is agent-relay's built-in local model; set OPENAI_BASE_URL to use a real one.`;
};

/** Waits, then throws the abort reason if the caller gave up meanwhile (like the real model). */
const pause = async (scheduler: Scheduler, ms: number, signal: AbortSignal | undefined) => {
  if (ms > 0) await scheduler.sleep(ms, signal).catch(() => undefined);
  signal?.throwIfAborted();
};

async function* streamLocal(
  input: Parameters<ChatModel['stream']>[0],
  delayMs: number,
  scheduler: Scheduler,
): AsyncGenerator<ModelEvent> {
  input.signal?.throwIfAborted();
  const reasoning = input.thinking ? words(REASONING) : [];
  for (const text of reasoning) {
    await pause(scheduler, delayMs, input.signal);
    yield { type: 'reasoning', text };
  }
  const reply = words(localReply(input.messages));
  for (const text of reply) {
    await pause(scheduler, delayMs, input.signal);
    yield { type: 'token', text };
  }
  const promptTokens = input.messages.reduce((sum, message) => sum + countWords(message.content), 0);
  yield { type: 'usage', promptTokens, completionTokens: reasoning.length + reply.length };
}

/**
 * A ChatModel that needs no endpoint or key, used when OPENAI_BASE_URL is unset so the
 * service runs out of the box. It quotes the last user message back, word by word; with
 * `thinking` it first streams a short reasoning line. Usage counts words, not real tokens.
 * When `signal` aborts, the stream throws `signal.reason`, as the OpenAI adapter does.
 *
 * @param _llm unused; taken so both factories have one signature for createChatModel.
 */
export const createLocalChatModel = (_llm?: AppConfig['llm'], options: LocalChatModelOptions = {}): ChatModel => {
  const delayMs = options.tokenDelayMs ?? 15;
  const scheduler = options.scheduler ?? systemScheduler;
  return {
    stream: (input) => streamLocal(input, delayMs, scheduler),
    modelName: (choice: ModelChoice) => `local-${choice.toLowerCase()}`,
  };
};
