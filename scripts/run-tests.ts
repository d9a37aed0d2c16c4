/**
 * `npm test`: the main suite (parallel), the integration suite again through the MySQL driver
 * (mysql:// against the same server, jest.mysql.config.js), then the fault suite (serial: it stops
 * a broker of its own, see jest.faults.config.js). Arguments are passed to every Jest run (`npm test -- test/unit` narrows them all;
 * the others then find nothing, which is fine). `--json-dir DIR` writes DIR/main.json,
 * DIR/mysql.json and DIR/faults.json.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const jest = path.join(root, 'node_modules', '.bin', 'jest');

const args = process.argv.slice(2);
let jsonDir: string | undefined;
const jestArgs: string[] = [];
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i] ?? '';
  if (arg === '--json-dir') jsonDir = args[(i += 1)];
  else if (arg.startsWith('--json-dir=')) jsonDir = arg.slice('--json-dir='.length);
  else jestArgs.push(arg);
}

const run = (name: string, config: string, extra: string[], env: Record<string, string> = {}) => {
  const report = jsonDir ? ['--json', `--outputFile=${path.join(jsonDir, `${name}.json`)}`] : [];
  console.log(`\n== jest: ${name} suite`);
  const result = spawnSync(jest, ['--config', config, ...extra, ...report, ...jestArgs], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return result.status ?? 1;
};

const mainStatus = run('main', 'jest.config.js', []);
const mysqlStatus = run('mysql', 'jest.mysql.config.js', ['--passWithNoTests'], { TEST_DATABASE_DRIVER: 'mysql' });
// The fault suite stops and restarts its own broker; it runs even when the others failed,
// so one report never hides another.
const faultsStatus = run('faults', 'jest.faults.config.js', ['--passWithNoTests']);
process.exit(mainStatus !== 0 || mysqlStatus !== 0 || faultsStatus !== 0 ? 1 : 0);
