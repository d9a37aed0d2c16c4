/** Small process helpers: PATH lookup, running commands, polling, log tails. */
import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { log } from './log';

const LOG_TAIL_LINES = 40;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A finished command: never thrown for a non-zero exit. */
export interface RunResult {
  ok: boolean;
  status: number | null;
  stdout: string;
  output: string;
  error?: (Error & { code?: string }) | undefined;
}

export function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** Runs to completion, capturing output; never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  options: Omit<SpawnSyncOptionsWithStringEncoding, 'encoding'> = {},
): RunResult {
  const result = spawnSync(cmd, args, { timeout: 120_000, ...options, encoding: 'utf8' });
  return {
    ok: result.status === 0,
    status: result.status,
    stdout: result.stdout ?? '',
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
    error: result.error,
  };
}

/** Like run(), but async so long steps (Maven) can print progress while they work. */
export function runWithProgress(cmd: string, args: readonly string[], label: string, options: SpawnOptions = {}) {
  return new Promise<Omit<RunResult, 'stdout'>>((resolve) => {
    const started = Date.now();
    let output = '';
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ticker = setInterval(() => log(`${label}… ${Math.round((Date.now() - started) / 1000)}s`), 5000);
    const finish = (status: number | null, error?: Error) => {
      clearInterval(ticker);
      resolve({ ok: status === 0, status, output, error });
    };
    child.once('error', (error) => finish(null, error));
    child.once('close', (status) => finish(status));
  });
}

/**
 * Polls `probe` until it returns truthy or the deadline passes, printing a progress line every
 * 5 s. `check` runs between polls and may throw to abort early (e.g. the process died).
 */
export async function waitUntil<T>(
  label: string,
  timeoutMs: number,
  probe: () => T | Promise<T>,
  check: () => void | Promise<void> = () => {},
): Promise<T | null> {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const value = await probe();
    if (value) return value;
    await check();
    if (Date.now() - started >= timeoutMs) return null;
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      log(`${label}… ${Math.round((lastReport - started) / 1000)}s`);
    }
    await sleep(300);
  }
}

/** The last `lines` lines of a text (a log file, a tool's output). */
export function lastLines(text: string, lines = LOG_TAIL_LINES): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? lastLines(text, lines) : '';
  } catch {
    return '';
  }
}
