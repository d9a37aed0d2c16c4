import { loadConfig, type AppConfig } from '../config';

/** For entry points only: prints every config problem and exits 1. */
export const loadConfigOrExit = (env: Record<string, string | undefined> = process.env): AppConfig => {
  const result = loadConfig(env);
  if (result.ok) return result.config;
  process.stderr.write(`agent-relay: invalid configuration\n${result.errors.map((e) => `  - ${e}`).join('\n')}\n`);
  process.exit(1);
};
