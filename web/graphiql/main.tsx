import 'graphiql/graphiql.css';
import './graphiql-page.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

/** The chat page keeps its token here (same tab, same origin): GraphiQL starts signed in as that user. */
const CHAT_TOKEN_KEY = 'agent-relay.token';

const DEFAULT_QUERY = `# Every operation needs a token: edit the Authorization header below (npm run token -- --user 42).
# Subscriptions run over graphql-ws with the same headers as connection params.
{
  me { userId roles tokenExpiresAt }
}
`;

const origin = window.location.origin;
// graphql-ws gets the headers editor's content as its connectionParams, Authorization included.
const fetcher = createGraphiQLFetcher({
  url: `${origin}/graphql`,
  subscriptionUrl: `${origin.replace(/^http/, 'ws')}/graphql`,
});

const params = new URLSearchParams(window.location.search);
const chatToken = sessionStorage.getItem(CHAT_TOKEN_KEY);
const headers = JSON.stringify({ Authorization: `Bearer ${chatToken ?? '<token>'}` }, null, 2);

const App = () => (
  <GraphiQL
    fetcher={fetcher}
    defaultQuery={DEFAULT_QUERY}
    query={params.get('query') ?? undefined}
    variables={params.get('variables') ?? undefined}
    headers={params.get('headers') ?? headers}
    isHeadersEditorEnabled
    shouldPersistHeaders={false}
    defaultEditorToolsVisibility="headers"
  >
    <GraphiQL.Logo>
      <span className="agent-relay-logo">
        agent-relay · <a href="/">chat</a> · <a href="/graphql">Apollo Sandbox</a>
      </span>
    </GraphiQL.Logo>
  </GraphiQL>
);

const root = document.getElementById('graphiql');
if (!root) throw new Error('page element #graphiql is missing');
createRoot(root).render(<App />);
