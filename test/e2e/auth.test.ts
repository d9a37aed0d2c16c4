import type { Client } from 'graphql-ws';
import { mintToken } from '../../src/infra/auth/jwt';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred } from '../support/eventually';

const ME = '{ me { userId roles } }';

/** Runs one operation over graphql-ws; resolves with the result or the close code. */
const runOverWs = (client: Client) => {
  const outcome = deferred<{ data?: unknown; errors?: unknown; closeCode?: number }>();
  client.on('closed', (event) => outcome.resolve({ closeCode: (event as { code: number }).code }));
  client.subscribe(
    { query: ME },
    {
      next: (result) => outcome.resolve(result as { data?: unknown }),
      error: (error) => outcome.resolve({ closeCode: (error as { code?: number }).code, errors: error }),
      complete: () => undefined,
    },
  );
  return outcome.promise;
};

describe('authentication over HTTP and graphql-ws', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  const forged = () =>
    mintToken(
      { ...testApp.config.auth, jwtSecret: 'not-the-server-secret-0123456789abcdef' },
      { userId: 'mallory', roles: ['ops'] },
    );

  describe('HTTP', () => {
    it('accepts a valid token and puts its user and roles in the context', async () => {
      const response = await testApp.graphql(ME, {}, await testApp.token('42', ['user', 'ops']));
      expect(response).toEqual({ status: 200, body: { data: { me: { userId: '42', roles: ['USER', 'OPS'] } } } });
    });

    it.each([
      ['missing', async () => undefined],
      ['expired', async () => testApp.token('42', ['user'], -5)],
      ['forged', forged],
    ])('refuses a %s token with 401 UNAUTHENTICATED', async (_name, tokenFor) => {
      const response = await testApp.graphql(ME, {}, await tokenFor());
      expect(response.status).toBe(401);
      expect(response.body.data).toBeUndefined();
      expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('graphql-ws', () => {
    it('accepts a valid token in connectionParams.authorization', async () => {
      const client = testApp.wsClient({ authorization: `Bearer ${await testApp.token('7')}` });
      await expect(runOverWs(client)).resolves.toEqual({ data: { me: { userId: '7', roles: ['USER'] } } });
    });

    it('closes with 4401 when no token is sent', async () => {
      await expect(runOverWs(testApp.wsClient({}))).resolves.toMatchObject({ closeCode: 4401 });
    });

    it.each([
      ['expired', async () => testApp.token('7', ['user'], -5)],
      ['forged', forged],
    ])('closes with 4403 for a %s token', async (_name, tokenFor) => {
      const client = testApp.wsClient({ authorization: `Bearer ${await tokenFor()}` });
      await expect(runOverWs(client)).resolves.toMatchObject({ closeCode: 4403 });
    });

    it('closes an open socket with 4403 when its token expires', async () => {
      // Keep the socket open after the operation so only the expiry can close it. Tokens count
      // whole seconds (4–5 s left here): enough for the handshake and query on a loaded machine.
      const client = testApp.wsClient(
        { authorization: `Bearer ${await testApp.token('7', ['user'], 5)}` },
        { lazyCloseTimeout: 30_000 },
      );
      const closed = deferred<number>();
      client.on('closed', (event) => closed.resolve((event as { code: number }).code));
      await expect(runOverWs(client)).resolves.toMatchObject({ data: { me: { userId: '7' } } });
      await expect(closed.promise).resolves.toBe(4403);
    });
  });
});
