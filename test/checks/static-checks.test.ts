import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Resolves with the command's output either way, so a failure shows what the tool said. */
const run = (file: string, args: string[], options: { cwd: string }) =>
  execFileAsync(file, args, options).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
const root = path.resolve(__dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

/** Checks that keep the repository honest; each fails the run like any other test. */
describe('static checks', () => {
  it('type-checks the whole project with tsc --noEmit', async () => {
    await expect(run(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: root })).resolves.toEqual({
      code: 0,
      output: '',
    });
  }, 180_000);

  it('type-checks the browser pages (web/, DOM types) with tsc --noEmit', async () => {
    await expect(run(bin('tsc'), ['--noEmit', '-p', 'web/tsconfig.json'], { cwd: root })).resolves.toEqual({
      code: 0,
      output: '',
    });
  }, 180_000);

  it('keeps the dependency rule (dependency-cruiser finds no violations)', async () => {
    // The tools beside src too: bench/, scripts/ and tools/ may not reach into src/infra (tools-use-public-entries).
    const result = await run(
      bin('depcruise'),
      ['src', 'bench', 'scripts', 'tools', 'test', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
      { cwd: root },
    );
    expect(result).toEqual({ code: 0, output: expect.stringMatching(/no dependency violations/) });
  }, 120_000);

  it('is formatted by Prettier (run npm run format when this fails)', async () => {
    const result = await run(bin('prettier'), ['--check', '.', '--log-level', 'warn'], { cwd: root });
    expect(result.code === 0 ? 'formatted' : result.output).toBe('formatted');
  }, 120_000);

  it('passes ESLint (typescript-eslint, parameter count, function length)', async () => {
    const result = await run(bin('eslint'), ['src', 'test', 'bench', 'scripts', 'tools', 'web'], { cwd: root });
    expect(result.code === 0 ? 'clean' : result.output).toBe('clean');
  }, 180_000);

  it('has no unused files, exports or dependencies (knip)', async () => {
    const result = await run(bin('knip'), ['--no-progress'], { cwd: root });
    expect(result.code === 0 ? 'clean' : result.output).toBe('clean');
  }, 120_000);

  it('has generated GraphQL types that match the SDL (run npm run codegen when this fails)', async () => {
    // --check regenerates in memory and exits 1 when a committed file differs.
    const result = await run(bin('graphql-codegen'), ['--config', 'codegen.yml', '--check'], { cwd: root });
    expect(result.code === 0 ? 'fresh' : result.output).toBe('fresh');
  }, 120_000);
});
