import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** All SDL files of this folder, in name order: the single source of the schema. */
export const loadTypeDefs = (): string[] =>
  readdirSync(__dirname)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => readFileSync(path.join(__dirname, file), 'utf8'));
