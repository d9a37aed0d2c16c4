import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '../..');
const collect = path.join(root, '.ci/collect-artifacts');
const run = async (src: string, out: string) => (await promisify(execFile)(collect, [src, out])).stdout;

describe('.ci/run keeps the browser screenshots with its reports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ci-artifacts-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('copies artifacts/browser/ into the output dir, replacing an older run, and says where', async () => {
    const src = path.join(dir, 'artifacts', 'browser');
    const out = path.join(dir, 'out');
    await mkdir(path.join(src, 'chat'), { recursive: true });
    await mkdir(path.join(src, 'sandbox'));
    await writeFile(path.join(src, 'chat', '01-sign-in.png'), 'png 1');
    await writeFile(path.join(src, 'chat', '02-sent.png'), 'png 2');
    await writeFile(path.join(src, 'sandbox', '01-bar.png'), 'png 3');
    await mkdir(path.join(out, 'browser', 'chat'), { recursive: true });
    await writeFile(path.join(out, 'browser', 'chat', '99-from-an-older-run.png'), 'old');

    expect(await run(src, out)).toBe(`browser screenshots: 3 in ${out}/browser/ (chat/ sandbox/)\n`);
    expect(await readdir(path.join(out, 'browser', 'chat'))).toEqual(['01-sign-in.png', '02-sent.png']);
    expect(await readFile(path.join(out, 'browser', 'sandbox', '01-bar.png'), 'utf8')).toBe('png 3');
  });

  it('says there are none, and leaves no older screenshots, when the browser tests did not run', async () => {
    const out = path.join(dir, 'out');
    await mkdir(path.join(out, 'browser'), { recursive: true });
    const missing = path.join(dir, 'artifacts', 'browser');
    expect(await run(missing, out)).toBe(
      `browser screenshots: none (${missing} does not exist: the browser tests did not run)\n`,
    );
    expect(existsSync(path.join(out, 'browser'))).toBe(false);
  });

  it('is called by .ci/run right after the tests, into .ci/out, before the summary line', async () => {
    const script = await readFile(path.join(root, '.ci/run'), 'utf8');
    const tests = script.indexOf('npm test -- --json-dir .ci/out');
    const collecting = script.indexOf('\n.ci/collect-artifacts artifacts/browser .ci/out\n');
    expect(tests).toBeGreaterThan(0);
    expect(collecting).toBeGreaterThan(tests);
    expect(collecting).toBeLessThan(script.indexOf('summary_and_exit $((passed'));
  });
});
