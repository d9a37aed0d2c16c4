import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/** Apollo's landing page shows this when its CDN script cannot load (no internet access). */
const OFFLINE_NOTICE = 'Apollo Sandbox cannot be loaded; it appears that you might be offline.</p>';
const LINKS =
  '<p>This server has an explorer that works offline: <a href="/graphiql">GraphiQL</a>, and a <a href="/">chat page</a>.</p>';

/**
 * Apollo Sandbox (at /graphql) loads from Apollo's CDN; offline it shows only a notice. Next to
 * that notice this adds links to GraphiQL and the chat page, which this server serves itself. Plain
 * markup only: Apollo's page allows no script or style without its nonce.
 */
export const withOfflineLinks = <T extends BaseContext>(
  landingPage: ApolloServerPlugin<T>,
  enabled: boolean,
): ApolloServerPlugin<T> =>
  enabled
    ? {
        ...landingPage,
        async serverWillStart(service) {
          const listener = await landingPage.serverWillStart?.(service);
          const render = listener?.renderLandingPage;
          if (!listener || !render) return listener;
          return {
            ...listener,
            async renderLandingPage() {
              const page = await render();
              const html = typeof page.html === 'string' ? page.html : await page.html();
              return { html: html.replace(OFFLINE_NOTICE, `${OFFLINE_NOTICE}\n  ${LINKS}`) };
            },
          };
        },
      }
    : landingPage;
