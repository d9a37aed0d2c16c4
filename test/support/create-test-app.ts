import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import WebSocket from 'ws';
import { buildApp } from '../../src/app';
import type { Role } from '../../src/domain/identity';
import { mintToken } from '../../src/infra/auth/jwt';
import { startFakeOpenAi, type FakeOpenAi } from '../../tools/kit/fake-openai-server';
import { deleteTopic } from './kafka-admin';
import { openSql } from './sql';
import { testConfig } from './test-config';
import { createTestDatabase } from './test-database';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
}

export type TestAppOptions = Parameters<typeof buildApp>[1] & {
  /** A fake OpenAI-compatible model server for this app (OPENAI_BASE_URL and a key point at it), with these options. */
  model?: Parameters<typeof startFakeOpenAi>[0];
};

/** The fake model when the app was given one; a test that asks for it without one fails at once. */
const modelOrThrow = (model: FakeOpenAi | undefined) => {
  if (!model) throw new Error('createTestApp(…, { model: {} }) starts the fake model this test uses');
  return model;
};

/**
 * Boots the real app (buildApp) on an ephemeral port against the run's services, with
 * its own database, topic, group and Redis prefix, and a SQL connection to that database. With
 * `model`, a fake model server of its own answers the app's model calls. close() disposes all of it.
 * A logger of the test's own (e.g. one that captures lines) replaces the config's, a span exporter the OTLP one.
 * This is the e2e fixture: a test's beforeAll is this call, its afterAll `close()`.
 */
export const createTestApp = async (
  overrides: Record<string, string | undefined> = {},
  { model: modelOptions, ...options }: TestAppOptions = {},
) => {
  const model = modelOptions ? await startFakeOpenAi(modelOptions) : undefined;
  const config = testConfig(
    model ? { OPENAI_BASE_URL: model.baseUrl, OPENAI_API_KEY: 'test-key', ...overrides } : overrides,
  );
  const database = await createTestDatabase(config.db);
  const sql = await openSql(config.db);
  const app = buildApp(config, options);
  await app.start();
  const url = app.url() ?? '';
  const clients: Client[] = [];

  const token = (userId = 'user-1', roles: Role[] = ['user'], ttlSeconds = 3600) =>
    mintToken(config.auth, { userId, roles, ttlSeconds });

  const graphql = async <T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
    bearer?: string,
  ): Promise<GraphQLResponse<T>> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse<T>['body'] };
  };

  const wsClient = (connectionParams: Record<string, unknown>, options: Partial<ClientOptions> = {}) => {
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams,
      retryAttempts: 0,
      lazy: true,
      ...options,
    });
    clients.push(client);
    return client;
  };

  return {
    config,
    app,
    sql,
    get model() {
      return modelOrThrow(model);
    },
    url,
    baseUrl: url.replace(/\/graphql$/, ''),
    token,
    graphql,
    wsClient,
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.stop();
      await sql.close();
      await database.drop();
      await deleteTopic(config.kafka);
      await model?.close();
    },
  };
};

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
