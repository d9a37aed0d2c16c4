import type { AppConfig } from '../config';
import { mintToken } from '../infra/auth/jwt';
import { DEV_TOKEN_TTL_SECONDS, type WebPagesOptions } from '../server/web/web-pages';

/** The options config asks for: pages with Sandbox, development tokens only with the development secret outside production. */
export const webPagesOptions = (config: Pick<AppConfig, 'env' | 'auth' | 'http'>): WebPagesOptions => ({
  pages: config.http.sandbox,
  devToken:
    config.auth.usingDevSecret && config.env !== 'production'
      ? (userId) => mintToken(config.auth, { userId, roles: ['user'], ttlSeconds: DEV_TOKEN_TTL_SECONDS })
      : undefined,
});
