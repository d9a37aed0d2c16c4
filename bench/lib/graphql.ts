import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Scope } from './scope';

export interface GraphQLResult<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One GraphQL operation over HTTP POST with a bearer token. */
export const postGraphql = async <T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token: string,
): Promise<GraphQLResult<T>> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResult<T>, 'status'>) };
};

/** A graphql-ws connection, acknowledged (connection_init accepted) before it is returned. */
export const openWs = async (scope: Scope, url: string, token: string): Promise<Client> => {
  const client = createClient({
    url: url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    // graphql-ws prints a non-lazy connection's close to the console by default: the service going
    // away as a scenario stops (1001) is expected, and a loss mid-run fails the operations on it.
    onNonLazyError: () => undefined,
  });
  scope.defer('dispose graphql-ws client', () => client.dispose());
  await new Promise<void>((resolve, reject) => {
    const offConnected = client.on('connected', () => (offConnected(), offClosed(), resolve()));
    const offClosed = client.on(
      'closed',
      (event) => (
        offConnected(),
        offClosed(),
        reject(new Error(`websocket closed before ack: ${(event as { code?: number }).code}`))
      ),
    );
  });
  return client;
};

/**
 * Subscribes and hands every payload to onData; settles when the server completes the
 * subscription, onData returns true (then it unsubscribes), an error arrives, or the timeout passes.
 */
export const follow = <T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  onData: (data: T) => boolean | void,
  timeoutMs = 60_000,
) =>
  new Promise<{ error?: string }>((resolve) => {
    let settled = false;
    const finish = (outcome: { error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ error: `no end after ${timeoutMs} ms` }), timeoutMs);
    const unsubscribe = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) return finish({ error: result.errors.map((e) => e.message).join('; ') });
          if (result.data && onData(result.data as T)) finish({});
        },
        error: (error) =>
          finish({
            error: Array.isArray(error)
              ? error.map((e: { message: string }) => e.message).join('; ')
              : String((error as Error).message ?? error),
          }),
        complete: () => finish({}),
      },
    );
  });
