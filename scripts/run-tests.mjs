#!/usr/bin/env node
/**
 * `npm test`: the main suite (parallel), the integration suite again through the MySQL driver
 * (mysql:// against the same server, jest.mysql.config.js), then the fault suite (serial: it stops
 * the broker). Arguments are passed to every Jest run (`npm test -- test/unit` narrows them all;
 * the others then find nothing, which is fine). `--json-dir DIR` writes DIR/main.json,
 * DIR/mysql.json and DIR/faults.json.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const jest = path.join(root, 'node_modules', '.bin', 'jest');

const args = process.argv.slice(2);
let jsonDir;
const jestArgs = [];
for (let i = 0; i < args.length; i += 1) {
  if (args[i] === '--json-dir') jsonDir = args[(i += 1)];
  else if (args[i].startsWith('--json-dir=')) jsonDir = args[i].slice('--json-dir='.length);
  else jestArgs.push(args[i]);
}

const run = (name, config, extra, env = {}) => {
  const report = jsonDir ? ['--json', `--outputFile=${path.join(jsonDir, `${name}.json`)}`] : [];
  console.log(`\n== jest: ${name} suite`);
  const result = spawnSync(jest, ['--config', config, ...extra, ...report, ...jestArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
};

const mainStatus = run('main', 'jest.config.js', []);
const mysqlStatus = run('mysql', 'jest.mysql.config.js', ['--passWithNoTests'], { TEST_DATABASE_DRIVER: 'mysql' });
// The fault suite stops and restarts shared services; it runs even when the others failed,
// so one report never hides another.
const faultsStatus = run('faults', 'jest.faults.config.js', ['--passWithNoTests']);
process.exit(mainStatus !== 0 || mysqlStatus !== 0 || faultsStatus !== 0 ? 1 : 0);
