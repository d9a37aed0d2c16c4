import type { ModelEvent } from '../../src/domain/chat/chat-types';

/** A short prompt for model adapter tests. */
export const PROMPT = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'hello there' },
] as const;

/** Drains a model stream; on failure the events seen so far travel with the error. */
export const collectModelEvents = async (stream: AsyncIterable<ModelEvent>) => {
  const events: ModelEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
};
