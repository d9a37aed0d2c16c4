/**
 * Which DATABASE_URL the app gets for the server the stack brought up. One rule everywhere: the
 * URL's scheme picks the driver (src/config/: mysql:// → @mikro-orm/mysql and mysql2,
 * mariadb:// → @mikro-orm/mariadb and its INSERT … RETURNING path). So the scheme must name the
 * server that really answers: docker compose starts mysql:8.4 → mysql://; the local path reuses or
 * starts MariaDB → mariadb:// (decided by the server's own VERSION(), in case a MySQL answers there).
 */
import type { DbConfig } from './config';
import { run } from './proc';
import { mysqlClient } from './mariadb';

/** 'mariadb' or 'mysql' from `SELECT VERSION()` (MariaDB says so: 10.11.6-MariaDB-0+deb12u1). */
const flavourOf = (version: string): 'mariadb' | 'mysql' => (/mariadb/i.test(version) ? 'mariadb' : 'mysql');

/**
 * The decision, pure. mode: 'docker' | 'local'; configured: the URL from DATABASE_URL or the
 * default; explicit: whether the user set DATABASE_URL; serverVersion: VERSION() of the local
 * server, or null when it could not be asked.
 * An explicit DATABASE_URL is the user's: kept as given (they may mean the MySQL driver against a
 * MariaDB, as the test suite's second run does), with a warning when its scheme names the other
 * server. Otherwise the scheme follows the server.
 */
export interface DatabaseUrlInput {
  mode: 'docker' | 'local';
  configured: URL | string;
  explicit: boolean;
  serverVersion: string | null;
}

export function chooseDatabaseUrl({ mode, configured, explicit, serverVersion }: DatabaseUrlInput) {
  const server = mode === 'docker' ? 'mysql' : serverVersion ? flavourOf(serverVersion) : 'mariadb';
  const url = new URL(configured);
  const scheme = url.protocol.replace(/:$/, '');
  if (explicit) {
    const warning =
      scheme === server
        ? null
        : `DATABASE_URL says ${scheme}:// but the server is ${server === 'mysql' ? 'MySQL' : 'MariaDB'}; keeping your URL (the ${scheme} driver)`;
    return { url: url.toString(), server, warning };
  }
  url.protocol = `${server}:`;
  return { url: url.toString(), server, warning: null };
}

/** VERSION() of the server at db.host:db.port through the command-line client; null if it can't be asked. */
export function serverVersion(db: DbConfig): string | null {
  const client = mysqlClient();
  if (!client) return null;
  const env = db.password ? { ...process.env, MYSQL_PWD: db.password } : process.env;
  const result = run(
    client,
    ['--protocol=TCP', `-h${db.host}`, `-P${db.port}`, `-u${db.user}`, '-N', '-B', '-e', 'SELECT VERSION()'],
    { env, timeout: 15_000 },
  );
  return result.ok ? result.stdout.trim() || null : null;
}
