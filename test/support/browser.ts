import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Flags for a machine without internet access: nothing phones home (background networking,
 * component updates, sync), no QUIC, no GPU, no first-run UI. --no-sandbox because CI runs as root.
 */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The system Chromium (Debian's package), never a browser a test tool downloads. Missing → the test fails, saying how to fix it. */
const findChromium = (): string => {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'Chromium is not installed: the browser tests need the system chromium (apt-get install -y chromium; .ci/run installs it). They fail rather than skip.',
    );
  }
};

/** The repository's gitignored folder for screenshots of browser tests. */
const ARTIFACTS_DIR = path.resolve(__dirname, '../../artifacts/browser');

export interface BrowserSession {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL any page asked for: documents, scripts, styles, fetches and WebSocket handshakes. */
  readonly requests: string[];
  /** Console errors, CSP violations included. */
  readonly consoleErrors: string[];
  /** Saves a numbered full-page screenshot under artifacts/browser/<suite>/ and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

const record = (page: Page, requests: string[], consoleErrors: string[]) => {
  page.on('request', (request) => requests.push(request.url()));
  page.on('websocket', (socket) => requests.push(socket.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
};

/** Headless Chromium with a fresh profile in a temporary --user-data-dir, removed on close. */
export const launchBrowser = async (suite: string): Promise<BrowserSession> => {
  const executablePath = findChromium();
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'agent-relay-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 760 },
  });
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  context.pages().forEach((page) => record(page, requests, consoleErrors));
  context.on('page', (page) => record(page, requests, consoleErrors));
  const page = context.pages()[0] ?? (await context.newPage());
  const dir = path.join(ARTIFACTS_DIR, suite);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let shots = 0;
  return {
    context,
    page,
    requests,
    consoleErrors,
    async screenshot(name, target = page) {
      shots += 1;
      const file = path.join(dir, `${String(shots).padStart(2, '0')}-${name}.png`);
      await target.screenshot({ path: file, fullPage: true });
      return file;
    },
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
};
