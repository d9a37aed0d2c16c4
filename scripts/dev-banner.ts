/**
 * `npm run dev`, first line: where the chat page will be, before the stack, the migrations and the
 * server fill the terminal. Reads the same config as the server (HTTP_HOST, HTTP_PORT, SANDBOX_ENABLED).
 */
import { loadConfig } from '../src/config';

const result = loadConfig();
if (result.ok) {
  const { host, port, sandbox } = result.config.http;
  const site = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  console.log(
    sandbox
      ? `agent-relay: chat page at ${site}/ (GraphiQL at ${site}/graphiql) once the server below says "Chat page at"`
      : `agent-relay: GraphQL at ${site}/graphql (the pages are off: SANDBOX_ENABLED=false)`,
  );
}
