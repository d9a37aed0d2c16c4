/**
 * `npm run build` step: bundles the chat page and GraphiQL (src/server/web/web-bundle.ts) into
 * dist/public, where the compiled server serves them from. Code run from src bundles on its own.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWebPages, builtPageFile } from '../src/tooling';

const main = async () => {
  const out = path.resolve(__dirname, '../dist/public');
  await rm(out, { recursive: true, force: true });
  await mkdir(path.join(out, 'assets'), { recursive: true });
  const files = await bundleWebPages();
  for (const [urlPath, file] of files) {
    const target = urlPath.startsWith('/assets/') ? path.join(out, urlPath) : path.join(out, builtPageFile(urlPath));
    await writeFile(target, file.contents);
  }
  console.log(`web pages: ${files.size} files in ${path.relative(process.cwd(), out)}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
