import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp } from '../../src/app';
import type { Role } from '../../src/domain/identity';
import { mintToken } from '../../src/infra/auth/jwt';
import { deleteTopic } from './kafka-admin';
import { testConfig } from './test-config';
import { createTestDatabase } from './test-database';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * Boots the real app (buildApp) on an ephemeral port against the run's services, with
 * its own database, topic, group and Redis prefix. close() disposes all of it. A logger
 * of the test's own (e.g. one that captures lines) replaces the config's, a span exporter the OTLP one.
 */
export const createTestApp = async (overrides: Record<string, string | undefined> = {}, options: Parameters<typeof buildApp>[1] = {}) => {
  const config = testConfig(overrides);
  const database = await createTestDatabase(config.db);
  const app = buildApp(config, options);
  await app.start();
  const url = app.url() ?? '';
  const clients: Client[] = [];

  const token = (userId = 'user-1', roles: Role[] = ['user'], ttlSeconds = 3600) => mintToken(config.auth, { userId, roles, ttlSeconds });

  const graphql = async <T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, bearer?: string): Promise<GraphQLResponse<T>> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
  };

  const wsClient = (connectionParams: Record<string, unknown>, options: Partial<ClientOptions> = {}) => {
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true, ...options });
    clients.push(client);
    return client;
  };

  return {
    config,
    app,
    url,
    baseUrl: url.replace(/\/graphql$/, ''),
    token,
    graphql,
    wsClient,
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.stop();
      await database.drop();
      await deleteTopic(config.kafka);
    },
  };
};

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
