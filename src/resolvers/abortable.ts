/**
 * Wraps a subscription source so that a client going away (graphql-ws calls return()) aborts
 * the source's wait at once instead of after its next event or poll.
 */
export const abortable = <T>(
  start: (signal: AbortSignal) => Promise<AsyncIterable<T>>,
): Promise<AsyncIterableIterator<T>> => {
  const controller = new AbortController();
  return start(controller.signal).then((source) => {
    const iterator = source[Symbol.asyncIterator]();
    const wrapped: AsyncIterableIterator<T> = {
      next: () => iterator.next(),
      return: async (value?: unknown) => {
        controller.abort();
        await iterator.return?.(value);
        return { done: true, value: undefined as T };
      },
      [Symbol.asyncIterator]: () => wrapped,
    };
    return wrapped;
  });
};
