import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

/** Checks that keep the repository honest; each fails the run like any other test. */
describe('static checks', () => {
  it('type-checks the whole project with tsc --noEmit', async () => {
    await expect(run(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root })).resolves.toBeDefined();
  }, 180_000);

  it('keeps the dependency rule (dependency-cruiser finds no violations)', async () => {
    const { stdout } = await run(bin('depcruise'), ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root });
    expect(stdout).toMatch(/no dependency violations/);
  }, 120_000);

  it('has generated GraphQL types that match the SDL (run npm run codegen when this fails)', async () => {
    // --check regenerates in memory and exits 1 when a committed file differs.
    await expect(run(bin('graphql-codegen'), ['--config', 'codegen.yml', '--check'], { cwd: root })).resolves.toBeDefined();
  }, 120_000);
});
