/** MariaDB / MySQL: reuse a running server, start the local one if it is down, create the database. */
import fs from 'node:fs';
import { isLocal, type DbConfig, type StackConfig } from './config';
import { log, StackError } from './log';
import { portOpen, waitPortClosed } from './net';
import { run, waitUntil, which } from './proc';
import { recordService } from './state';

const MARIADBD = '/usr/sbin/mariadbd';
const MARIADB_START_TIMEOUT_MS = 30_000;

export function mysqlClient() {
  return which('mariadb') ?? which('mysql');
}

function mysqlArgs(db: DbConfig) {
  // --protocol=TCP: with host "localhost" the client would otherwise try the unix socket.
  return ['--protocol=TCP', `-h${db.host}`, `-P${db.port}`, `-u${db.user}`];
}

function mysqlEnv(db: DbConfig) {
  // MYSQL_PWD keeps the password out of `ps` output.
  return db.password ? { ...process.env, MYSQL_PWD: db.password } : process.env;
}

export async function ensureMariadb(cfg: StackConfig) {
  const { db } = cfg;
  let startedNow = false;
  if (await portOpen(db.host, db.port)) {
    log(`MariaDB answers on ${db.host}:${db.port}`);
  } else {
    if (!isLocal(db.host))
      throw new StackError(
        `MariaDB at ${db.host}:${db.port} (DATABASE_URL) is not reachable and is not local, so it can't be started here`,
      );
    if (!fs.existsSync(MARIADBD)) {
      throw new StackError(
        `nothing listens on ${db.host}:${db.port} and ${MARIADBD} is not installed — install mariadb-server or point DATABASE_URL at a running server`,
      );
    }
    await startMariadb(db);
    startedNow = true;
  }
  recordService('mariadb', startedNow);
  ensureDatabase(db);
  return { startedNow };
}

async function startMariadb(db: DbConfig) {
  log(`starting MariaDB (${MARIADBD}) on port ${db.port}…`);
  // The socket directory lives on tmpfs; after a reboot it is gone and mariadbd refuses to start.
  if (!fs.existsSync('/run/mysqld') && process.getuid?.() === 0) {
    fs.mkdirSync('/run/mysqld', { recursive: true });
    run('chown', ['mysql:mysql', '/run/mysqld']);
  }
  const extra = db.port === 3306 ? [] : ['--', `--port=${db.port}`];
  const started = run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', MARIADBD, ...extra]);
  if (!started.ok)
    throw new StackError(
      `start-stop-daemon could not start ${MARIADBD}: ${started.error?.message ?? started.output.trim()}`,
    );
  const up = await waitUntil('waiting for MariaDB', MARIADB_START_TIMEOUT_MS, () => portOpen(db.host, db.port));
  if (!up)
    throw new StackError(
      `MariaDB did not open ${db.host}:${db.port} within ${MARIADB_START_TIMEOUT_MS / 1000}s — run ${MARIADBD} in a terminal to see why`,
    );
  log('MariaDB is up');
}

export function ensureDatabase(db: DbConfig) {
  const client = mysqlClient();
  if (!client)
    throw new StackError(
      'neither the `mariadb` nor the `mysql` client is installed (needed to create the database) — install mariadb-client',
    );
  const sql = `CREATE DATABASE IF NOT EXISTS \`${db.name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;
  const result = run(client, [...mysqlArgs(db), '-e', sql], { env: mysqlEnv(db), timeout: 30_000 });
  if (!result.ok)
    throw new StackError(`could not create database ${db.name}: ${(result.error?.message ?? result.output).trim()}`);
  log(`database ${db.name} is present`);
}

export async function stopMariadb(db: DbConfig) {
  log('stopping MariaDB (started by stack)…');
  const admin = which('mariadb-admin') ?? which('mysqladmin');
  // A clean SQL shutdown first; start-stop-daemon is the fallback if credentials don't work.
  const clean = admin
    ? run(admin, [...mysqlArgs(db), 'shutdown'], { env: mysqlEnv(db), timeout: 60_000 })
    : { ok: false };
  if (!clean.ok)
    run('start-stop-daemon', ['--stop', '--oknodo', '--retry', '30', '--exec', MARIADBD], { timeout: 60_000 });
  await waitPortClosed('waiting for MariaDB to stop', 30_000, db.host, db.port);
}
