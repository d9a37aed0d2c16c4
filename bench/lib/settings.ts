/** One `--set KEY=VALUE` product setting, as [key, value]; throws on anything else. */
export const parseSetting = (pair: string): [string, string] => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(pair);
  if (!match) throw new Error(`--set needs KEY=VALUE, got "${pair}"`);
  return [match[1] as string, match[2] as string];
};

/** The `--set` pairs of a command line as settings (a later pair wins). */
export const settingsFrom = (pairs: readonly string[] = []): Record<string, string> =>
  Object.fromEntries(pairs.map(parseSetting));
