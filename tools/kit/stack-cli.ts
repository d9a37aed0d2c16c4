import path from 'node:path';

/** The repository root (this file is tools/kit/stack-cli.ts). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export type StackVerb = 'up' | 'plan' | 'down' | 'status' | 'kafka:start' | 'kafka:stop';

/**
 * The command line for `scripts/stack.ts <verb>` with the running node and tsx's loader (what
 * `npm run stack:up` runs), for tests, bench and chaos to pass to execFile/spawn: no shell, no npm.
 */
export const stackCommand = (verb: StackVerb): [string, string[]] => [
  process.execPath,
  ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'stack.ts'), verb],
];
