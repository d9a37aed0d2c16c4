import express, { type Express, type RequestHandler } from 'express';
import { USER_ID_PATTERN } from '../../domain/identity';
import type { Logger } from '../../infra/logger';
import type { WebFile, WebFiles } from './web-bundle';
import { lazyWebFiles } from './web-files';

/** A development token lives a day: long enough for a working session, short enough to be obviously a toy. */
export const DEV_TOKEN_TTL_SECONDS = 86_400;

/**
 * Pages from this origin only: scripts, styles and sockets go to the API itself, so a page that
 * tried another host would be stopped by the browser as well as caught by the browser tests.
 * GraphiQL sets inline styles and uses data: images and fonts.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export interface WebPagesOptions {
  /** Serve the chat page at / and GraphiQL at /graphiql (the Sandbox switch). */
  readonly pages: boolean;
  /** Mints a user token; set only while the public development secret signs tokens, never in production. */
  readonly devToken?: (userId: string) => Promise<string>;
  /** The pages' files; the build in dist/public, or a bundle made on first use. */
  readonly files?: () => Promise<WebFiles>;
}

const serveFile =
  (files: () => Promise<WebFiles>, logger: Logger, urlPath: (req: express.Request) => string): RequestHandler =>
  async (req, res, next) => {
    let file: WebFile | undefined;
    try {
      file = (await files()).get(urlPath(req));
    } catch (error) {
      logger.error({ err: error }, 'the web pages could not be bundled');
      res.status(500).type('text/plain').send('The web pages could not be built; the server log says why.');
      return;
    }
    if (!file) return next();
    res.set({ 'content-type': file.contentType, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    if (file.contentType.startsWith('text/html')) res.set('content-security-policy', PAGE_CSP);
    res.send(Buffer.from(file.contents));
  };

const devTokenRoutes = (app: Express, devToken: (userId: string) => Promise<string>, logger: Logger) => {
  // GET only says the endpoint exists, so the page can offer its button.
  app.get('/dev/token', (_req, res) => {
    res.json({ available: true, ttlSeconds: DEV_TOKEN_TTL_SECONDS });
  });
  // JSON only: another site's form cannot send it, and its scripts need a CORS preflight this server never grants.
  app.post('/dev/token', express.json({ limit: 1_000 }), async (req, res) => {
    const userId = (req.body as { userId?: unknown } | undefined)?.userId;
    if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
      res.status(400).json({ error: 'userId must be 1-64 characters of A-Z a-z 0-9 . _ @ -' });
      return;
    }
    logger.warn({ userId }, 'minted a development token');
    res.json({ token: await devToken(userId), userId, ttlSeconds: DEV_TOKEN_TTL_SECONDS });
  });
};

/** Routes of the chat page, GraphiQL, their assets and the development token endpoint, as the options allow. */
export const mountWebPages = (app: Express, options: WebPagesOptions & { logger: Logger }) => {
  const { logger } = options;
  if (options.pages) {
    const files = options.files ?? lazyWebFiles();
    app.get(
      ['/', '/graphiql'],
      serveFile(files, logger, (req) => req.path),
    );
    app.get(
      '/assets/:file',
      serveFile(files, logger, (req) => `/assets/${String(req.params['file'])}`),
    );
  }
  if (options.devToken) devTokenRoutes(app, options.devToken, logger);
};
