import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config';
import { devBannerLine } from '../../scripts/dev-banner-line';

const root = path.resolve(__dirname, '../..');
const banner = (env: Record<string, string>) => devBannerLine(loadConfig({ NODE_ENV: 'development', ...env }));

describe("npm run dev's first line", () => {
  it('is the chat page URL (and GraphiQL) on the default address', () => {
    expect(banner({})).toBe(
      'agent-relay: chat page at http://127.0.0.1:4000/ (GraphiQL at http://127.0.0.1:4000/graphiql) once the server below says "Chat page at"',
    );
  });

  it('uses the configured host and port, with a browsable address for a wildcard host', () => {
    expect(banner({ HTTP_HOST: 'chat.local', HTTP_PORT: '8080' })).toContain('chat page at http://chat.local:8080/ ');
    expect(banner({ HTTP_HOST: '0.0.0.0', HTTP_PORT: '4100' })).toContain('chat page at http://127.0.0.1:4100/ ');
    expect(banner({ HTTP_HOST: '::' })).toContain('chat page at http://127.0.0.1:4000/ ');
  });

  it('names /graphql instead when the pages are off', () => {
    expect(banner({ SANDBOX_ENABLED: 'false' })).toBe(
      'agent-relay: GraphQL at http://127.0.0.1:4000/graphql (the pages are off: SANDBOX_ENABLED=false)',
    );
  });

  it('says the config does not load, and why, when it does not', () => {
    expect(banner({ HTTP_PORT: 'four thousand' })).toBe(
      'agent-relay: no chat page URL yet: the config does not load (HTTP_PORT: Invalid input: expected number, received NaN); the server checks it again once the stack is up and stops if it still fails',
    );
    expect(devBannerLine({ ok: false, errors: ['A: bad', 'B: worse'] })).toContain('(A: bad; B: worse)');
  });

  it('is printed by scripts/dev-banner.ts, which npm run dev runs before anything else, and never stops it', async () => {
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { dev: string } })
      .scripts;
    expect(scripts.dev).toMatch(/^tsx scripts\/dev-banner\.ts && /);
    const run = await promisify(execFile)(path.join(root, 'node_modules/.bin/tsx'), ['scripts/dev-banner.ts'], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'development', HTTP_HOST: '127.0.0.1', HTTP_PORT: 'nope' },
    });
    expect(run.stdout).toMatch(/^agent-relay: no chat page URL yet: the config does not load \(HTTP_PORT: .*\n$/);
  });
});
