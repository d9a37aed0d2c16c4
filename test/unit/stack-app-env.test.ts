import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_ENV_FILE } from '../../scripts/stack/paths';
import { formatAppEnv, parseAppEnv, readStackAppEnv, stackAppEnvFile } from '../../tools/kit/stack-app-env';
import { toolServices } from '../../tools/kit/tool-services';

const ROOT = path.resolve(__dirname, '..', '..');

/** What `npm run stack:up` hands over with Docker: compose's MySQL 8.4, so mysql://. */
const DOCKER_STACK = {
  DATABASE_URL: 'mysql://root@127.0.0.1:3306/agent_relay',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
};

describe("tools read the stack's app.env", () => {
  it('takes the database the stack started when DATABASE_URL is not set (mysql:// for compose MySQL 8.4)', () => {
    expect(toolServices({}, DOCKER_STACK)).toEqual(DOCKER_STACK);
    expect(toolServices({ DATABASE_URL: '  ' }, DOCKER_STACK).DATABASE_URL).toBe(DOCKER_STACK.DATABASE_URL);
  });

  it('a variable set in the environment wins, each service on its own', () => {
    const env = { DATABASE_URL: 'mariadb://app@db.internal:3307/x', KAFKA_BROKERS: 'k1:9092,k2:9092' };
    expect(toolServices(env, DOCKER_STACK)).toEqual({ ...DOCKER_STACK, ...env });
  });

  it("without a stack record, the app's own defaults (src/config.ts)", () => {
    expect(toolServices({}, {})).toEqual({
      DATABASE_URL: 'mariadb://root@127.0.0.1:3306/agent_relay',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: '127.0.0.1:9092',
    });
  });

  it('reads what the stack script writes, where it writes it', () => {
    // scripts/stack/paths.ts (the writer, STACK_STATE_DIR unset in this run) and the reader agree on the file.
    expect(process.env['STACK_STATE_DIR'] ?? '').toBe('');
    expect(stackAppEnvFile()).toBe(APP_ENV_FILE);
    expect(stackAppEnvFile()).toBe(path.join(ROOT, '.stack', 'app.env'));
    expect(stackAppEnvFile('.stack-faults')).toBe(path.join(ROOT, '.stack-faults', 'app.env'));

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-app-env-'));
    try {
      const file = path.join(dir, 'app.env');
      expect(readStackAppEnv(file)).toEqual({});
      fs.writeFileSync(file, formatAppEnv(DOCKER_STACK));
      expect(readStackAppEnv(file)).toEqual(DOCKER_STACK);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses KEY=value lines, ignoring comments, blanks and other keys', () => {
    expect(
      parseAppEnv(
        '# written by the stack\n\nDATABASE_URL=mysql://root@h:1/db?x=1\r\nOTHER=1\nREDIS_URL=\nKAFKA_BROKERS=a:1\n',
      ),
    ).toEqual({ DATABASE_URL: 'mysql://root@h:1/db?x=1', KAFKA_BROKERS: 'a:1' });
  });

  it('no bench, chaos or fault-suite file carries a database default of its own', () => {
    const files = [
      ...['bench/lib', 'bench/experiments', 'scripts/chaos'].flatMap((dir) =>
        fs.readdirSync(path.join(ROOT, dir)).map((name) => path.join(dir, name)),
      ),
      'test/support/faults-global-setup.ts',
    ].filter((file) => file.endsWith('.ts'));
    const offenders = files.filter((file) =>
      /['"`](mariadb|mysql):\/\//.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
