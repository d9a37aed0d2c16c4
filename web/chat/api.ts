import { createClient, type Client, type Sink } from 'graphql-ws';

/** A GraphQL error as the API reports it: `code` is its stable `extensions.code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

const firstError = (errors: GraphQLResponse<unknown>['errors']) =>
  new ApiError(errors?.[0]?.message ?? 'request failed', errors?.[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR');

/** Retrying a send is safe only because it carries its clientMessageId; other requests are not retried. */
const SEND_ATTEMPTS = 5;
const SEND_FIRST_DELAY_MS = 500;
/** Reconnect delays: up to 10 s apart, forever (a reply resumes from its cursor whenever the API is back). */
const RECONNECT_CAP_MS = 10_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Api {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Like request, but sent again (same body) when the network fails before an answer, up to 5 times. */
  requestWithRetry<T>(
    query: string,
    variables: Record<string, unknown>,
    onRetry: (attempt: number) => void,
  ): Promise<T>;
  /**
   * A subscription over graphql-ws. `variables` is the object graphql-ws sends again when it
   * re-subscribes after a reconnect, so a caller that updates it (the resume cursor) resumes there.
   */
  subscribe<T>(
    query: string,
    variables: Record<string, unknown>,
    sink: Sink<{ data?: T | null; errors?: readonly unknown[] }>,
  ): () => void;
  dispose(): void;
}

/** HTTP and WebSocket to this page's own origin, both with the bearer token. */
export const createApi = (token: string): Api => {
  const authorization = `Bearer ${token}`;
  const ws: Client = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: { authorization },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => sleep(Math.min(250 * 2 ** retries, RECONNECT_CAP_MS) * (0.5 + Math.random() / 2)),
  });

  const post = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({
      errors: [{ message: `HTTP ${response.status}`, extensions: { code: 'BAD_RESPONSE' } }],
    }))) as GraphQLResponse<T>;
    if (body.errors?.length || !body.data) throw firstError(body.errors);
    return body.data;
  };

  return {
    request: (query, variables = {}) => post(query, variables),
    async requestWithRetry(query, variables, onRetry) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await post(query, variables);
        } catch (error) {
          // fetch rejects with a TypeError only when no answer came back: that is the case a retry fixes.
          if (!(error instanceof TypeError) || attempt >= SEND_ATTEMPTS) throw error;
          onRetry(attempt);
          await sleep(SEND_FIRST_DELAY_MS * 2 ** (attempt - 1));
        }
      }
    },
    subscribe: (query, variables, sink) => ws.subscribe({ query, variables }, sink),
    dispose: () => void ws.dispose(),
  };
};

/** The graphql-ws error of a subscription as one readable line (a close event, GraphQL errors, or an Error). */
export const describeStreamError = (error: unknown): ApiError => {
  if (Array.isArray(error)) return firstError(error as GraphQLResponse<unknown>['errors']);
  if (error instanceof Error) return new ApiError(error.message, 'NETWORK');
  const close = error as { code?: number; reason?: string };
  return new ApiError(
    `connection closed (${close.code ?? '?'}${close.reason ? `: ${close.reason}` : ''})`,
    close.code === 4403 || close.code === 4401 ? 'UNAUTHENTICATED' : 'NETWORK',
  );
};
