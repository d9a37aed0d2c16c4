import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWebPages, contentTypeOf, WEB_PAGES, type WebFile, type WebFiles } from './web-bundle';

/**
 * Where `npm run build` puts the pages: dist/public, next to the compiled server. From src/ the
 * same path (src/public) never exists, so tsx and Jest bundle from the sources instead and can
 * never serve a stale build.
 */
const BUILT_WEB_DIR = path.resolve(__dirname, '../../public');

/** Built file name of each page (URL path → file under dist/public). */
export const builtPageFile = (urlPath: string) => (urlPath === '/' ? 'index.html' : `${urlPath.slice(1)}.html`);

const readBuilt = async (dir: string): Promise<WebFiles> => {
  const files = new Map<string, WebFile>();
  for (const urlPath of Object.keys(WEB_PAGES)) {
    const name = builtPageFile(urlPath);
    files.set(urlPath, { contents: await readFile(path.join(dir, name)), contentType: contentTypeOf(name) });
  }
  for (const name of await readdir(path.join(dir, 'assets'))) {
    files.set(`/assets/${name}`, {
      contents: await readFile(path.join(dir, 'assets', name)),
      contentType: contentTypeOf(name),
    });
  }
  return files;
};

/**
 * The pages' files, loaded once on first use (so a server that never serves them never bundles):
 * the build in dist/public when there is one, else a bundle made in memory from web/.
 */
export const lazyWebFiles = (dir = BUILT_WEB_DIR): (() => Promise<WebFiles>) => {
  let files: Promise<WebFiles> | undefined;
  return () => {
    files ??= existsSync(path.join(dir, 'index.html')) ? readBuilt(dir) : bundleWebPages();
    // A failed bundle is not remembered: the next request tries again (after the source is fixed).
    files.catch(() => {
      files = undefined;
    });
    return files;
  };
};
