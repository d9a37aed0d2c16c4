import path from 'node:path';

/** The pages' sources (web/ at the repository root): the same relative path from src/ and from dist/. */
const WEB_SOURCE_DIR = path.resolve(__dirname, '../../../web');

/** One file the API serves, keyed by its URL path. */
export interface WebFile {
  readonly contents: Uint8Array;
  readonly contentType: string;
}

export type WebFiles = ReadonlyMap<string, WebFile>;

/** URL path → source file of the two HTML pages; the bundles they load live under /assets/. */
export const WEB_PAGES: Readonly<Record<string, string>> = {
  '/': 'chat/index.html',
  '/graphiql': 'graphiql/index.html',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export const contentTypeOf = (file: string) => CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';

/**
 * Bundles the chat page and GraphiQL with esbuild (a development dependency, loaded only here):
 * everything they import, CSS and fonts included, ends up in /assets/, so the pages load nothing
 * from another host. `npm run build` writes the result to dist/public; code run from src (tsx,
 * Jest) calls this on the first page request instead.
 */
export const bundleWebPages = async (): Promise<Map<string, WebFile>> => {
  const esbuild = await import('esbuild');
  const outdir = path.join(WEB_SOURCE_DIR, '.out', 'assets');
  const result = await esbuild.build({
    absWorkingDir: WEB_SOURCE_DIR,
    entryPoints: { chat: 'chat/main.ts', graphiql: 'graphiql/main.tsx' },
    tsconfig: path.join(WEB_SOURCE_DIR, 'tsconfig.json'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16'],
    jsx: 'automatic',
    minify: true,
    legalComments: 'none',
    // React and GraphiQL read it to drop their development checks.
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    outdir,
    write: false,
    logLevel: 'silent',
  });
  const files = new Map<string, WebFile>();
  for (const output of result.outputFiles) {
    const name = path.basename(output.path);
    files.set(`/assets/${name}`, { contents: output.contents, contentType: contentTypeOf(name) });
  }
  const { readFile } = await import('node:fs/promises');
  for (const [urlPath, source] of Object.entries(WEB_PAGES)) {
    files.set(urlPath, {
      contents: await readFile(path.join(WEB_SOURCE_DIR, source)),
      contentType: contentTypeOf(source),
    });
  }
  return files;
};
