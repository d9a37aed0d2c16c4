import type { ConfigResult } from '../src/config';

/**
 * The one line `npm run dev` prints first: where the chat page will be, from the same config the
 * server reads (HTTP_HOST, HTTP_PORT, SANDBOX_ENABLED). When that config does not load, it says so
 * and why, instead of printing nothing: the stack still comes up and the server checks the config
 * again with the stack's DATABASE_URL, REDIS_URL and KAFKA_BROKERS, stopping if it still fails.
 */
export const devBannerLine = (result: ConfigResult): string => {
  if (!result.ok)
    return `agent-relay: no chat page URL yet: the config does not load (${result.errors.join('; ')}); the server checks it again once the stack is up and stops if it still fails`;
  const { host, port, sandbox } = result.config.http;
  // A wildcard address is where the server listens, not where a browser can go.
  const site = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  return sandbox
    ? `agent-relay: chat page at ${site}/ (GraphiQL at ${site}/graphiql) once the server below says "Chat page at"`
    : `agent-relay: GraphQL at ${site}/graphql (the pages are off: SANDBOX_ENABLED=false)`;
};
