import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/** Height of the bar; the embed starts below it, so the two never overlap. */
const BAR_HEIGHT = '2.25rem';

const BAR =
  '<nav id="agent-relay-pages" aria-label="Other pages">This server also serves <a href="/graphiql">GraphiQL</a>' +
  ' (works offline) and a <a href="/">chat page</a>.</nav>';

/**
 * Apollo's embed is absolutely positioned over the whole viewport, and its offline notice sits
 * beneath it: the bar is fixed above the embed, which is moved down by the bar's height. Apollo's
 * page allows styles only with its per-render nonce, so the style carries that nonce.
 */
const barStyle = (nonce: string) => `<style nonce="${nonce}">
  #agent-relay-pages {
    position: fixed; top: 0; left: 0; right: 0; z-index: 1; box-sizing: border-box; height: ${BAR_HEIGHT};
    margin: 0; padding: 0 1em; overflow: hidden; white-space: nowrap; text-overflow: ellipsis;
    font: 14px/${BAR_HEIGHT} system-ui, sans-serif; background: #f4f5f7; color: #1b1f24; border-bottom: 1px solid #d0d4da;
  }
  #agent-relay-pages a { color: #1d4ed8; }
  div#embeddableSandbox { top: ${BAR_HEIGHT}; height: calc(100vh - ${BAR_HEIGHT}); }
  .fallback { margin-top: ${BAR_HEIGHT}; }
</style>`;

/** The nonce Apollo's page gives its own styles and scripts (new on every render). */
const nonceOf = (html: string) => /<style nonce=["']?([A-Za-z0-9+/=_-]+)/.exec(html)?.[1];

/** The landing page with the bar first in its body; unstyled (plain markup at the top) if Apollo's page has no nonce. */
export const addPageLinks = (html: string): string => {
  const nonce = nonceOf(html);
  return html.replace(/<body>/, `<body>\n    ${BAR}${nonce ? `\n    ${barStyle(nonce)}` : ''}`);
};

/**
 * Apollo Sandbox (at /graphql) loads from Apollo's CDN. Online, its embed covers the whole page;
 * offline, it shows only a notice. Either way a bar at the top links to GraphiQL and the chat page,
 * which this server serves itself.
 */
export const withPageLinks = <T extends BaseContext>(
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
              return { html: addPageLinks(typeof page.html === 'string' ? page.html : await page.html()) };
            },
          };
        },
      }
    : landingPage;
