import OpenAI from 'openai';

/**
 * Time to the first content token straight from the fake server with the openai SDK: what
 * the service adds is measured against this, at the same concurrency.
 */
export const directFirstTokenMs = async (baseUrl: string, content: string) => {
  const openai = new OpenAI({ baseURL: baseUrl, apiKey: 'bench', maxRetries: 0 });
  const started = performance.now();
  const stream = await openai.chat.completions.create({
    model: 'bench-model',
    messages: [{ role: 'user', content }],
    stream: true,
  });
  let first: number | undefined;
  for await (const chunk of stream) {
    if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now() - started;
  }
  if (first === undefined) throw new Error('the fake server sent no content token');
  return first;
};
