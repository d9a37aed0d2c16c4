import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/infra/logger';
import { prettyLogStream } from '../../src/infra/pretty-logs';

describe('log format', () => {
  it('is one human-readable line per record in development at a terminal, without the config dump', () => {
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger({ level: 'info' }, {}, prettyLogStream('development', true, output));
    logger.info({ url: 'http://127.0.0.1:4000/', config: { secret: 'x' } }, 'Chat page at http://127.0.0.1:4000/');
    const line = chunks.join('');
    expect(line).toMatch(/INFO.*Chat page at http:\/\/127\.0\.0\.1:4000\//);
    expect(line).not.toContain('"level"');
    expect(line).not.toContain('config');
  });

  it('stays JSON when stdout is not a terminal, or outside development', () => {
    expect(prettyLogStream('development', false)).toBeUndefined();
    expect(prettyLogStream('production', true)).toBeUndefined();
    expect(prettyLogStream('test', true)).toBeUndefined();
  });
});
