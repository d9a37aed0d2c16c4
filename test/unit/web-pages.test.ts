import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express from 'express';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { createJwtVerifier } from '../../src/infra/auth/jwt';
import { createLogger } from '../../src/infra/logger';
import type { WebFiles } from '../../src/server/web/web-bundle';
import { addPageLinks, withPageLinks } from '../../src/server/web/sandbox-page-links';
import { lazyWebFiles } from '../../src/server/web/web-files';
import { mountWebPages, type WebPagesOptions } from '../../src/server/web/web-pages';
import { webPagesOptions } from '../../src/wiring/web-pages.wiring';

const SECRET = 'a-test-secret-of-at-least-32-characters!';
const configFor = (env: Record<string, string>) => {
  const result = loadConfig(env);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
};
const files: WebFiles = new Map([
  ['/', { contents: Buffer.from('<!doctype html><title>chat</title>'), contentType: 'text/html; charset=utf-8' }],
  [
    '/graphiql',
    { contents: Buffer.from('<!doctype html><title>graphiql</title>'), contentType: 'text/html; charset=utf-8' },
  ],
  ['/assets/chat.js', { contents: Buffer.from('console.log(1)'), contentType: 'text/javascript; charset=utf-8' }],
]);

describe('web pages and the development token endpoint', () => {
  let server: Server | undefined;
  const serve = async (options: WebPagesOptions) => {
    const app = express();
    mountWebPages(app, { files: async () => files, ...options, logger: createLogger({ level: 'silent' }) });
    server = createServer(app);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterEach(async () => {
    const open = server;
    server = undefined;
    if (open) await new Promise((resolve) => open.close(resolve));
  });

  it('are on with Sandbox outside production and off in production unless SANDBOX_ENABLED', () => {
    expect(webPagesOptions(configFor({ NODE_ENV: 'development' })).pages).toBe(true);
    expect(webPagesOptions(configFor({ NODE_ENV: 'production', JWT_SECRET: SECRET })).pages).toBe(false);
    expect(
      webPagesOptions(configFor({ NODE_ENV: 'production', JWT_SECRET: SECRET, SANDBOX_ENABLED: 'true' })).pages,
    ).toBe(true);
    expect(webPagesOptions(configFor({ NODE_ENV: 'development', SANDBOX_ENABLED: 'false' })).pages).toBe(false);
  });

  it('offer development tokens only while the development secret is in use, never in production', () => {
    expect(webPagesOptions(configFor({ NODE_ENV: 'development' })).devToken).toBeDefined();
    expect(webPagesOptions(configFor({ NODE_ENV: 'test' })).devToken).toBeDefined();
    expect(webPagesOptions(configFor({ NODE_ENV: 'development', JWT_SECRET: SECRET })).devToken).toBeUndefined();
    expect(
      webPagesOptions(configFor({ NODE_ENV: 'production', JWT_SECRET: SECRET, SANDBOX_ENABLED: 'true' })).devToken,
    ).toBeUndefined();
  });

  it('serve the pages with a same-origin Content Security Policy, and their assets with their types', async () => {
    const base = await serve({ pages: true });
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'; connect-src 'self'");
    expect(await (await fetch(`${base}/graphiql`)).text()).toContain('graphiql');
    const script = await fetch(`${base}/assets/chat.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(script.headers.get('content-security-policy')).toBeNull();
    expect((await fetch(`${base}/assets/other.js`)).status).toBe(404);
  });

  it('serve nothing when switched off', async () => {
    const base = await serve({ pages: false });
    for (const urlPath of ['/', '/graphiql', '/assets/chat.js', '/dev/token'])
      expect((await fetch(`${base}${urlPath}`)).status).toBe(404);
  });

  it('mint a working user token for a valid user id, and refuse anything else', async () => {
    const config = configFor({ NODE_ENV: 'development' });
    const base = await serve({ ...webPagesOptions(config), pages: false });
    expect(await (await fetch(`${base}/dev/token`)).json()).toMatchObject({ available: true });
    const mint = (body: unknown) =>
      fetch(`${base}/dev/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = (await (await mint({ userId: 'alice' })).json()) as { token: string };
    await expect(createJwtVerifier(config.auth).verify(ok.token)).resolves.toMatchObject({
      userId: 'alice',
      roles: ['user'],
    });
    for (const userId of ['', 'a b', 'x'.repeat(65), 42]) expect((await mint({ userId })).status).toBe(400);
  });

  it('read a build from dist/public when there is one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'web-build-'));
    try {
      await mkdir(path.join(dir, 'assets'));
      await writeFile(path.join(dir, 'index.html'), 'chat page');
      await writeFile(path.join(dir, 'graphiql.html'), 'graphiql page');
      await writeFile(path.join(dir, 'assets', 'chat.js'), 'js');
      const built = await lazyWebFiles(dir)();
      expect([...built.keys()].sort()).toEqual(['/', '/assets/chat.js', '/graphiql']);
      expect(Buffer.from(built.get('/graphiql')?.contents ?? []).toString()).toBe('graphiql page');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answer 500 when the pages cannot be built, and try again on the next request', async () => {
    let calls = 0;
    const app = express();
    const failing = lazyFailingOnce(() => (calls += 1));
    mountWebPages(app, { pages: true, files: failing, logger: createLogger({ level: 'silent' }) });
    server = createServer(app);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/`)).status).toBe(500);
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect(calls).toBe(2);
  });
});

/** Files that fail to load the first time only. */
const lazyFailingOnce = (count: () => number) => async () => {
  if (count() === 1) throw new Error('bundle failed');
  return files;
};

describe('Apollo Sandbox links to the pages this server serves', () => {
  const render = async (enabled: boolean) => {
    const plugin = withPageLinks(
      ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
      enabled,
    );
    const listener = await plugin.serverWillStart?.({} as never);
    const page = await listener?.renderLandingPage?.();
    return (typeof page?.html === 'string' ? page.html : await page?.html()) ?? '';
  };

  it("in a bar first in the page, styled with the page's own nonce to sit above the embed, which starts below it", async () => {
    const html = await render(true);
    const nonce = /<script nonce="([^"]+)"/.exec(html)?.[1];
    expect(nonce).toMatch(/^[0-9a-f]{20,}$/);
    expect(html).toMatch(
      /<body>\s*<nav id="agent-relay-pages" aria-label="Other pages">This server also serves <a href="\/graphiql">GraphiQL<\/a> \(works offline\) and a <a href="\/">chat page<\/a>\.<\/nav>\s*<style nonce="/,
    );
    const style = html.slice(
      html.indexOf(`<style nonce="${nonce}">`),
      html.indexOf('</style>', html.indexOf('agent-relay-pages {')),
    );
    expect(style).toMatch(/#agent-relay-pages \{\s*position: fixed; top: 0;[^}]*height: 2\.25rem;/);
    expect(style).toContain('div#embeddableSandbox { top: 2.25rem; height: calc(100vh - 2.25rem); }');
    // Apollo's own rule this overrides (the embed over the whole viewport) is still the one it ships.
    expect(html).toMatch(/#embeddableSandbox \{\s*width: 100vw;\s*height: 100vh;\s*position: absolute;\s*top: 0;/);
    expect(await render(false)).not.toContain('/graphiql');
  });

  it("as plain markup when Apollo's page has no nonce to style it with", () => {
    expect(addPageLinks('<html><body><div id="embeddableSandbox"></div></body></html>')).toMatch(
      /^<html><body>\s*<nav id="agent-relay-pages"[^>]*>.*<\/nav><div id="embeddableSandbox">/,
    );
  });
});
