import type { AppConfig } from '../../config';
import type { ChatModel } from '../../domain/ports/chat-model';
import { createLocalChatModel, type LocalChatModelOptions } from './local-chat-model';
import { createOpenAiChatModel } from './openai-chat-model';

/**
 * The ChatModel the configuration asks for: the OpenAI-compatible endpoint when
 * `llm.baseUrl` is set, else the built-in local model, so a fresh checkout runs without keys.
 */
export const createChatModel = (llm: AppConfig['llm'], options: { local?: LocalChatModelOptions } = {}): ChatModel =>
  llm.baseUrl ? createOpenAiChatModel(llm) : createLocalChatModel(llm, options.local);
