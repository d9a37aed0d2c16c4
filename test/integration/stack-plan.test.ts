import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseDatabaseUrl, type DatabaseUrlInput } from '../../scripts/stack/database-url';
import { stackCommand } from '../../tools/kit/stack-cli';

/**
 * The stack script's choice of DATABASE_URL (its scheme picks the driver) at the level of its
 * output: `scripts/stack.ts plan` prints what `up` decides and hands the app, without starting anything.
 * A Docker engine is simulated by a `docker` executable first on PATH that answers `docker info`
 * and `docker compose version` (exit 0) or does not (exit 1); the local case asks the real
 * MariaDB of this run for its VERSION().
 */
const fakeDockerDir = (exitCode: number) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
  fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\nexit ${exitCode}\n`, { mode: 0o755 });
  return dir;
};

const plan = (docker: 'answers' | 'absent', databaseUrl?: string) => {
  const { DATABASE_URL: _unset, ...env } = process.env;
  const dbUrl = new URL(process.env['DATABASE_URL'] ?? 'mariadb://root@127.0.0.1:3306/agent_relay');
  const [command, args] = stackCommand('plan');
  const out = execFileSync(command, args, {
    encoding: 'utf8',
    env: {
      ...env,
      // The run's server (its host and port), unless the test names a URL itself.
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      PATH: `${fakeDockerDir(docker === 'answers' ? 0 : 1)}${path.delimiter}${process.env['PATH']}`,
      STACK_STATE_DIR: '',
    },
  });
  const lines = Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^[A-Za-z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return { ...lines, warned: /warning: DATABASE_URL says/.test(out), dbUrl };
};

/** The pure decision. */
const choose = (input: DatabaseUrlInput) => chooseDatabaseUrl(input);

describe('stack script: DATABASE_URL for the server it brings up', () => {
  it("with a Docker engine: compose's mysql:8.4, so mysql:// (the MySQL driver)", () => {
    const out = plan('answers');
    expect(out).toMatchObject({ mode: 'docker', DATABASE_URL: 'mysql://root@127.0.0.1:3306/agent_relay' });
  });

  it('without Docker: the local MariaDB (its VERSION() says so), so mariadb:// (the MariaDB driver)', () => {
    const out = plan('absent', undefined);
    expect(out).toMatchObject({ mode: 'local', DATABASE_URL: 'mariadb://root@127.0.0.1:3306/agent_relay' });
  });

  it('keeps an explicit DATABASE_URL and warns when its scheme names the other server', () => {
    const { dbUrl } = plan('absent');
    const mysqlUrl = `mysql://root@${dbUrl.host}/agent_relay_elsewhere`;
    expect(plan('absent', mysqlUrl)).toMatchObject({ mode: 'local', DATABASE_URL: mysqlUrl, warned: true });
    const mariadbUrl = `mariadb://root@${dbUrl.host}/agent_relay_elsewhere`;
    expect(plan('absent', mariadbUrl)).toMatchObject({ DATABASE_URL: mariadbUrl, warned: false });
  });

  it("decides from the server's version string, not from the mode alone", () => {
    const configured = 'mariadb://app:pw@db.internal:3307/history';
    expect(choose({ mode: 'local', configured, explicit: false, serverVersion: '8.4.3' })).toEqual({
      url: 'mysql://app:pw@db.internal:3307/history',
      server: 'mysql',
      warning: null,
    });
    expect(
      choose({ mode: 'local', configured, explicit: false, serverVersion: '10.11.6-MariaDB-0+deb12u1' }),
    ).toMatchObject({ url: configured, server: 'mariadb' });
    // Not reachable (nothing to ask): the local path only ever starts MariaDB.
    expect(choose({ mode: 'local', configured, explicit: false, serverVersion: null })).toMatchObject({
      url: configured,
      server: 'mariadb',
    });
    expect(choose({ mode: 'docker', configured, explicit: false, serverVersion: null })).toMatchObject({
      url: 'mysql://app:pw@db.internal:3307/history',
      server: 'mysql',
    });
    expect(choose({ mode: 'docker', configured, explicit: true, serverVersion: null }).warning).toMatch(
      /says mariadb:\/\/ but the server is MySQL/,
    );
  });
});
