#!/usr/bin/env node
/**
 * Local infrastructure for agent-relay: MariaDB/MySQL, Redis and a single-node Kafka.
 *
 *   node scripts/stack.mjs up | down | status | kafka:stop | kafka:start
 *
 * With a Docker engine it simply drives docker-compose.yml. Without one (CI boxes, sandboxes)
 * it reuses MariaDB/Redis already on the machine, starting them only if they are down, and
 * runs a real Apache Kafka broker from Maven Central jars — so tests talk to the same wire
 * protocol and broker semantics as production instead of an emulator.
 *
 * Everything this script starts is recorded under .stack/ so `down` stops exactly that and
 * never a service that was running before. startKafka()/stopKafka() are exported for chaos
 * tests that need to take the broker away and bring it back with its data intact.
 *
 * STACK_STATE_DIR (default .stack, relative to the repo) runs a second, independent stack:
 * with e.g. STACK_STATE_DIR=.stack-chaos KAFKA_BROKERS=127.0.0.1:29092 every verb drives a
 * broker of its own (controller on the broker port + 1, its own data dir, pid file and logs
 * under that dir, the same cached jars). Such a stack is always local, never Docker (the
 * compose project and its ports are shared); MariaDB/Redis are handled as usual.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_STATE_DIR = path.join(ROOT, '.stack');
const STATE_DIR = path.resolve(ROOT, process.env.STACK_STATE_DIR?.trim() || '.stack');
/** A second stack beside the default one (STACK_STATE_DIR set to another dir): local mode only. */
const SEPARATE_STACK = STATE_DIR !== DEFAULT_STATE_DIR;
const STATE_FILE = path.join(STATE_DIR, 'state.json');
const KAFKA_DIR = path.join(STATE_DIR, 'kafka');
const KAFKA_DATA = path.join(KAFKA_DIR, 'data');
const KAFKA_PID_FILE = path.join(KAFKA_DIR, 'kafka.pid');
const KAFKA_PROPS = path.join(KAFKA_DIR, 'server.properties');
const KAFKA_LOG4J = path.join(KAFKA_DIR, 'log4j.properties');
const KAFKA_TOOLS_LOG4J = path.join(KAFKA_DIR, 'tools-log4j.properties');
const KAFKA_LOG = path.join(KAFKA_DIR, 'server.log');
const KAFKA_STDOUT = path.join(KAFKA_DIR, 'stdout.log');
const KAFKA_VERSION = '3.9.1';
const KAFKA_POM = path.join(ROOT, 'scripts', 'kafka', 'pom.xml');
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const MARIADBD = '/usr/sbin/mariadbd';

const MARIADB_START_TIMEOUT_MS = 30_000;
const REDIS_START_TIMEOUT_MS = 15_000;
const KAFKA_START_TIMEOUT_MS = 60_000;
const KAFKA_STOP_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 40;

/** An expected failure: printed as one line (plus `detail`, e.g. a log tail), exit 1. */
export class StackError extends Error {
  constructor(message, detail) {
    super(message);
    this.name = 'StackError';
    this.detail = detail;
  }
}

// ---------------------------------------------------------------------------------------------
// Output. Elapsed time is measured from the start of the outermost operation, so a nested call
// (up → startKafka) keeps one clock and a long-lived importer (a test runner) gets fresh ones.

let logger = (line) => console.log(line);
let clockStart = null;

/** Lets importers (tests) redirect or silence progress output. */
export function setLogger(fn) {
  logger = fn ?? (() => {});
}

const seconds = () => ((Date.now() - (clockStart ?? Date.now())) / 1000).toFixed(1);
const log = (message) => logger(`[stack +${seconds()}s] ${message}`);

async function timed(fn) {
  const outermost = clockStart === null;
  if (outermost) clockStart = Date.now();
  try {
    return await fn();
  } finally {
    if (outermost) clockStart = null;
  }
}

// ---------------------------------------------------------------------------------------------
// Configuration — the same variables and defaults as src/config.ts; empty string means unset.

function env(name, fallback) {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function parseUrl(name, fallback) {
  const raw = env(name, fallback);
  try {
    return new URL(raw);
  } catch {
    throw new StackError(`${name} is not a valid URL: ${raw}`);
  }
}

function splitHostPort(entry, name) {
  const match = /^\[?([^\]\s]+?)\]?:(\d{1,5})$/.exec(entry);
  if (!match) throw new StackError(`${name} entries must be host:port, got "${entry}"`);
  return { host: match[1], port: Number(match[2]) };
}

export function config() {
  const db = parseUrl('DATABASE_URL', 'mariadb://root@127.0.0.1:3306/agent_relay');
  const redis = parseUrl('REDIS_URL', 'redis://127.0.0.1:6379');
  const brokers = env('KAFKA_BROKERS', '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
  const first = splitHostPort(brokers[0] ?? '', 'KAFKA_BROKERS');
  const partitions = Number(env('KAFKA_PARTITIONS', '6'));
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new StackError(`KAFKA_PARTITIONS must be a positive integer, got "${process.env.KAFKA_PARTITIONS}"`);
  }
  const dbName = decodeURIComponent(db.pathname.replace(/^\//, '')) || 'agent_relay';
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(dbName)) throw new StackError(`DATABASE_URL database name "${dbName}" is not a plain identifier`);
  return {
    db: {
      url: db,
      host: db.hostname || '127.0.0.1',
      port: Number(db.port || 3306),
      user: decodeURIComponent(db.username || 'root'),
      password: decodeURIComponent(db.password),
      name: dbName,
    },
    redis: { url: redis, host: redis.hostname || '127.0.0.1', port: Number(redis.port || 6379), password: decodeURIComponent(redis.password) },
    kafka: {
      brokers,
      host: first.host,
      port: first.port,
      // One port up for the KRaft controller keeps a second stack on another port collision-free.
      controllerPort: first.port + 1,
      topic: env('KAFKA_TOPIC', 'agent-relay.chat-messages'),
      partitions,
    },
  };
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const isLocal = (host) => LOCAL_HOSTS.has(host);

function redact(url) {
  const copy = new URL(url);
  if (copy.password) copy.password = '***';
  return copy.toString();
}

// ---------------------------------------------------------------------------------------------
// Small process / network helpers.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** Runs to completion, capturing output; never throws for a non-zero exit. */
function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...options });
  return {
    ok: result.status === 0,
    status: result.status,
    stdout: result.stdout ?? '',
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
    error: result.error,
  };
}

/** Like run(), but async so long steps (Maven) can print progress while they work. */
function runWithProgress(cmd, args, label, options = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    let output = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const ticker = setInterval(() => log(`${label}… ${Math.round((Date.now() - started) / 1000)}s`), 5000);
    const finish = (status, error) => {
      clearInterval(ticker);
      resolve({ ok: status === 0, status, output, error });
    };
    child.once('error', (error) => finish(null, error));
    child.once('close', (status) => finish(status));
  });
}

function portOpen(host, port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `probe` until it returns truthy or the deadline passes, printing a progress line every
 * 5 s. `check` runs between polls and may throw to abort early (e.g. the process died).
 */
async function waitUntil(label, timeoutMs, probe, check = () => {}) {
  const started = Date.now();
  let lastReport = started;
  for (;;) {
    const value = await probe();
    if (value) return value;
    await check();
    if (Date.now() - started >= timeoutMs) return null;
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now();
      log(`${label}… ${Math.round((lastReport - started) / 1000)}s`);
    }
    await sleep(300);
  }
}

function tail(file, lines = LOG_TAIL_LINES) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '';
  } catch {
    return '';
  }
}

/** Best effort: names the process listening on a port, for "port is taken" messages. */
function whoListens(port) {
  const result = run('ss', ['-Hltnp', `sport = :${port}`], { timeout: 5000 });
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.output);
  return match ? `${match[1]} (pid ${match[2]})` : 'another process';
}

// ---------------------------------------------------------------------------------------------
// The record of what this script started. Kafka's pid lives in .stack/kafka/kafka.pid; the
// MariaDB/Redis flags live here because those daemons manage their own pid files.

function readState() {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return {};
  }
}

function updateState(patch) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.writeFileSync(STATE_FILE, `${JSON.stringify({ ...readState(), ...patch }, null, 2)}\n`);
}

const startedByStack = (service) => readState()[service]?.startedByStack === true;

/** Remembers who owns a running service without forgetting that an earlier `up` started it. */
function recordService(service, startedNow) {
  updateState({ [service]: { startedByStack: startedNow || startedByStack(service) } });
}

// ---------------------------------------------------------------------------------------------
// Docker mode.

/** True when a Docker engine answers and the compose plugin is there to drive it. */
function dockerUsable() {
  if (!run('docker', ['info'], { timeout: 15_000 }).ok) return false;
  if (run('docker', ['compose', 'version'], { timeout: 15_000 }).ok) return true;
  log('a Docker engine answers but the `docker compose` plugin is missing; using the local stack instead');
  return false;
}

function compose(args) {
  const result = spawnSync('docker', ['compose', '-f', COMPOSE_FILE, ...args], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) {
    throw new StackError(
      `docker compose ${args.join(' ')} failed (exit ${result.status ?? result.error?.message}); ` +
        'if ports 3306/6379/9092 are held by local services, stop them or run without Docker',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// MariaDB / MySQL.

function mysqlClient() {
  return which('mariadb') ?? which('mysql');
}

function mysqlArgs(db) {
  // --protocol=TCP: with host "localhost" the client would otherwise try the unix socket.
  return ['--protocol=TCP', `-h${db.host}`, `-P${db.port}`, `-u${db.user}`];
}

function mysqlEnv(db) {
  // MYSQL_PWD keeps the password out of `ps` output.
  return db.password ? { ...process.env, MYSQL_PWD: db.password } : process.env;
}

async function ensureMariadb(cfg) {
  const { db } = cfg;
  let startedNow = false;
  if (await portOpen(db.host, db.port)) {
    log(`MariaDB answers on ${db.host}:${db.port}`);
  } else {
    if (!isLocal(db.host)) throw new StackError(`MariaDB at ${db.host}:${db.port} (DATABASE_URL) is not reachable and is not local, so it can't be started here`);
    if (!fs.existsSync(MARIADBD)) {
      throw new StackError(`nothing listens on ${db.host}:${db.port} and ${MARIADBD} is not installed — install mariadb-server or point DATABASE_URL at a running server`);
    }
    await startMariadb(db);
    startedNow = true;
  }
  recordService('mariadb', startedNow);
  ensureDatabase(db);
  return { startedNow };
}

async function startMariadb(db) {
  log(`starting MariaDB (${MARIADBD}) on port ${db.port}…`);
  // The socket directory lives on tmpfs; after a reboot it is gone and mariadbd refuses to start.
  if (!fs.existsSync('/run/mysqld') && process.getuid?.() === 0) {
    fs.mkdirSync('/run/mysqld', { recursive: true });
    run('chown', ['mysql:mysql', '/run/mysqld']);
  }
  const extra = db.port === 3306 ? [] : ['--', `--port=${db.port}`];
  const started = run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', MARIADBD, ...extra]);
  if (!started.ok) throw new StackError(`start-stop-daemon could not start ${MARIADBD}: ${started.error?.message ?? started.output.trim()}`);
  const up = await waitUntil('waiting for MariaDB', MARIADB_START_TIMEOUT_MS, () => portOpen(db.host, db.port));
  if (!up) throw new StackError(`MariaDB did not open ${db.host}:${db.port} within ${MARIADB_START_TIMEOUT_MS / 1000}s — run ${MARIADBD} in a terminal to see why`);
  log('MariaDB is up');
}

function ensureDatabase(db) {
  const client = mysqlClient();
  if (!client) throw new StackError('neither the `mariadb` nor the `mysql` client is installed (needed to create the database) — install mariadb-client');
  const sql = `CREATE DATABASE IF NOT EXISTS \`${db.name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;
  const result = run(client, [...mysqlArgs(db), '-e', sql], { env: mysqlEnv(db), timeout: 30_000 });
  if (!result.ok) throw new StackError(`could not create database ${db.name}: ${(result.error?.message ?? result.output).trim()}`);
  log(`database ${db.name} is present`);
}

async function stopMariadb(db) {
  log('stopping MariaDB (started by stack)…');
  const admin = which('mariadb-admin') ?? which('mysqladmin');
  // A clean SQL shutdown first; start-stop-daemon is the fallback if credentials don't work.
  const clean = admin ? run(admin, [...mysqlArgs(db), 'shutdown'], { env: mysqlEnv(db), timeout: 60_000 }) : { ok: false };
  if (!clean.ok) run('start-stop-daemon', ['--stop', '--oknodo', '--retry', '30', '--exec', MARIADBD], { timeout: 60_000 });
  await waitUntil('waiting for MariaDB to stop', 30_000, async () => !(await portOpen(db.host, db.port)));
}

// ---------------------------------------------------------------------------------------------
// Redis.

async function ensureRedis(cfg) {
  const { redis } = cfg;
  let startedNow = false;
  if (await portOpen(redis.host, redis.port)) {
    log(`Redis answers on ${redis.host}:${redis.port}`);
  } else {
    if (!isLocal(redis.host)) throw new StackError(`Redis at ${redis.host}:${redis.port} (REDIS_URL) is not reachable and is not local, so it can't be started here`);
    if (!which('redis-server')) throw new StackError(`nothing listens on ${redis.host}:${redis.port} and redis-server is not installed — install redis-server or point REDIS_URL at a running server`);
    await startRedis(redis);
    startedNow = true;
  }
  recordService('redis', startedNow);
  return { startedNow };
}

async function startRedis(redis) {
  log(`starting redis-server on port ${redis.port}…`);
  fs.mkdirSync(STATE_DIR, { recursive: true });
  // No persistence: this is a scratch instance, and BullMQ state is rebuilt by the app.
  const args = ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(redis.port), '--save', '', '--appendonly', 'no', '--logfile', path.join(STATE_DIR, 'redis.log')];
  const started = run('redis-server', args);
  if (!started.ok) throw new StackError(`redis-server failed to start: ${(started.error?.message ?? started.output).trim()}`);
  const up = await waitUntil('waiting for Redis', REDIS_START_TIMEOUT_MS, () => portOpen(redis.host, redis.port));
  if (!up) throw new StackError(`Redis did not open port ${redis.port} within ${REDIS_START_TIMEOUT_MS / 1000}s`, tail(path.join(STATE_DIR, 'redis.log')));
  log('Redis is up');
}

async function stopRedis(redis) {
  log('stopping Redis (started by stack)…');
  const env = redis.password ? { ...process.env, REDISCLI_AUTH: redis.password } : process.env;
  run('redis-cli', ['-h', redis.host, '-p', String(redis.port), 'shutdown', 'nosave'], { env, timeout: 15_000 });
  await waitUntil('waiting for Redis to stop', 10_000, async () => !(await portOpen(redis.host, redis.port)));
}

// ---------------------------------------------------------------------------------------------
// Kafka: jars from Maven Central, cached outside the repo.

function kafkaCache() {
  const base = env('XDG_CACHE_HOME', path.join(os.homedir(), '.cache'));
  const dir = path.join(base, 'agent-relay', `kafka-${KAFKA_VERSION}`);
  return { dir, libs: path.join(dir, 'libs'), marker: path.join(dir, 'complete.json') };
}

function ensureJava() {
  const result = run('java', ['-version'], { timeout: 30_000 });
  if (result.error?.code === 'ENOENT') {
    throw new StackError('java not found on PATH — the local Kafka broker needs Java 11+ (e.g. apt-get install openjdk-17-jre-headless), or use Docker');
  }
  const said = result.output.trim().split('\n').slice(0, 2).join(' / ') || result.error?.message;
  if (!result.ok) throw new StackError(`\`java -version\` failed (check JAVA_TOOL_OPTIONS / the JDK install): ${said}`);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.output);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 11)) throw new StackError(`Kafka ${KAFKA_VERSION} needs Java 11+, but \`java -version\` says: ${said}`);
}

async function ensureKafkaJars() {
  const cache = kafkaCache();
  // Keyed on the pom's content so a version bump in scripts/kafka/pom.xml re-fetches.
  const pomHash = createHash('sha256').update(fs.readFileSync(KAFKA_POM)).digest('hex');
  try {
    const marker = JSON.parse(fs.readFileSync(cache.marker, 'utf8'));
    if (marker.pomHash === pomHash && fs.readdirSync(cache.libs).some((f) => f.startsWith('kafka_2.13-'))) return cache.libs;
  } catch {
    // no (valid) marker: fetch
  }

  if (!which('mvn')) {
    throw new StackError(`Maven (mvn) not found — it is needed once to fetch the Kafka ${KAFKA_VERSION} jars from Maven Central; install it (apt-get install maven) or use Docker`);
  }
  // A half-finished earlier attempt may have left jars behind; start from nothing.
  fs.rmSync(cache.dir, { recursive: true, force: true });
  fs.mkdirSync(cache.libs, { recursive: true });
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central (first run only, ~10–30 s)…`);
  // Full plugin coordinates: the `dependency:` prefix would need plugin metadata from Central
  // even when the plugin is already in ~/.m2, and would float to whatever version is newest.
  const args = ['-q', '-B', '-Dstyle.color=never', '-f', KAFKA_POM, `${DEPENDENCY_PLUGIN}:copy-dependencies`, `-DoutputDirectory=${cache.libs}`];
  const result = await runWithProgress('mvn', args, 'still fetching Kafka jars');
  if (!result.ok) {
    const output = result.output.replace(/\x1b\[[0-9;]*m/g, '');
    const offline = /UnknownHost|Connection refused|timed out|Network is unreachable|Could not transfer|Could not resolve|could not be resolved|No plugin found|Connect to .* failed|proxy/i.test(output);
    const cause = offline ? 'Maven could not download from Maven Central (network/proxy? see ~/.m2/settings.xml)' : `mvn exited with ${result.status ?? result.error?.message}`;
    throw new StackError(`fetching Kafka jars failed: ${cause}; fix it and rerun \`npm run stack:up\``, output.trimEnd().split('\n').slice(-20).join('\n'));
  }
  const jars = fs.readdirSync(cache.libs).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) throw new StackError(`Maven finished but ${cache.libs} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  fs.writeFileSync(cache.marker, `${JSON.stringify({ version: KAFKA_VERSION, pomHash, jars: jars.length, at: new Date().toISOString() }, null, 2)}\n`);
  log(`Kafka jars cached in ${cache.libs} (${jars.length} jars)`);
  return cache.libs;
}

// ---------------------------------------------------------------------------------------------
// Kafka: configuration, storage, process.

function writeKafkaConfig(kafka) {
  fs.mkdirSync(KAFKA_DIR, { recursive: true });
  // Single combined broker+controller (KRaft), static voter set, loopback only.
  const props = [
    '# Generated by scripts/stack.mjs on every start — edit the script, not this file.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${kafka.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${kafka.port},CONTROLLER://127.0.0.1:${kafka.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${KAFKA_DATA}`,
    `num.partitions=${kafka.partitions}`,
    // One broker: every replication factor / ISR must be 1 or internal topics never get created.
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    // Consumer groups join immediately instead of waiting 3 s for more members (tests care).
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    // A dev broker: keep the data dir small.
    'log.retention.hours=24',
    'log.segment.bytes=104857600',
    '',
  ];
  fs.writeFileSync(KAFKA_PROPS, props.join('\n'));

  const log4j = [
    'log4j.rootLogger=INFO, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${KAFKA_LOG}`,
    'log4j.appender.file.Append=true',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // Same trims as Kafka\'s stock config: these are very chatty at INFO.
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.kafka.network.RequestChannel$=WARN',
    'log4j.logger.org.apache.kafka.raft=WARN',
    '',
  ];
  fs.writeFileSync(KAFKA_LOG4J, log4j.join('\n'));

  // StorageTool prints its answer on stdout; keep its log noise on stderr and quiet.
  const toolsLog4j = [
    'log4j.rootLogger=WARN, stderr',
    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stderr.Target=System.err',
    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ];
  fs.writeFileSync(KAFKA_TOOLS_LOG4J, toolsLog4j.join('\n'));
}

function kafkaTool(libs, args) {
  const javaArgs = ['-Xmx256m', `-Dlog4j.configuration=${pathToFileURL(KAFKA_TOOLS_LOG4J).href}`, '-cp', path.join(libs, '*'), 'kafka.tools.StorageTool', ...args];
  const result = run('java', javaArgs, { cwd: ROOT, timeout: 60_000 });
  if (!result.ok) throw new StackError(`kafka.tools.StorageTool ${args[0]} failed`, result.output.trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n'));
  return result.stdout;
}

/** KRaft refuses to start on an unformatted log dir; format once per data dir. */
function formatKafkaStorage(libs) {
  if (fs.existsSync(path.join(KAFKA_DATA, 'meta.properties'))) return;
  log('formatting Kafka storage (KRaft)…');
  const clusterId = kafkaTool(libs, ['random-uuid']).trim().split('\n').pop().trim();
  if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) throw new StackError(`StorageTool random-uuid printed an unexpected cluster id: "${clusterId}"`);
  kafkaTool(libs, ['format', '-t', clusterId, '-c', KAFKA_PROPS, '--ignore-formatted']);
}

function readKafkaPid() {
  try {
    const pid = Number(fs.readFileSync(KAFKA_PID_FILE, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True only for a live kafka.Kafka process: a recycled pid or a zombie must not count. */
function isKafkaProcess(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
  } catch {
    return !fs.existsSync('/proc'); // no procfs (macOS): the signal check is all we have
  }
}

function ourKafkaPid() {
  const pid = readKafkaPid();
  if (pid && isKafkaProcess(pid)) return pid;
  fs.rmSync(KAFKA_PID_FILE, { force: true });
  return null;
}

let kafkajs;
function loadKafkajs() {
  if (!kafkajs) {
    try {
      kafkajs = createRequire(import.meta.url)('kafkajs');
    } catch {
      throw new StackError('kafkajs is not installed — run `npm install` first');
    }
  }
  return kafkajs;
}

/** Runs `fn(admin)` against the brokers; kafkajs's own logging is silenced. */
async function withAdmin(brokers, fn, { quick = false } = {}) {
  const { Kafka, logLevel } = loadKafkajs();
  const kafka = new Kafka({
    clientId: 'agent-relay-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: quick ? 1500 : 5000,
    requestTimeout: quick ? 3000 : 30_000,
    // A probe should answer "not yet" fast; real work may ride out a leader election.
    retry: quick ? { retries: 0 } : { retries: 8, initialRetryTime: 200 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** The topic list if a Kafka broker answers, otherwise null. */
async function probeKafka(brokers) {
  const deadline = sleep(6000).then(() => null);
  const attempt = withAdmin(brokers, (admin) => admin.listTopics(), { quick: true }).catch(() => null);
  return Promise.race([attempt, deadline]);
}

async function ensureTopic(kafka) {
  const created = await withAdmin(kafka.brokers, async (admin) => {
    if ((await admin.listTopics()).includes(kafka.topic)) {
      const meta = await admin.fetchTopicMetadata({ topics: [kafka.topic] });
      const count = meta.topics[0]?.partitions.length;
      if (count !== kafka.partitions) log(`warning: topic ${kafka.topic} has ${count} partitions, KAFKA_PARTITIONS is ${kafka.partitions} (not changed)`);
      return false;
    }
    return admin.createTopics({ topics: [{ topic: kafka.topic, numPartitions: kafka.partitions, replicationFactor: 1 }], waitForLeaders: true });
  }).catch((error) => {
    throw new StackError(`could not create Kafka topic ${kafka.topic}: ${error.message}`);
  });
  log(created ? `created topic ${kafka.topic} (${kafka.partitions} partitions)` : `topic ${kafka.topic} exists`);
}

function kafkaFailure(message) {
  const parts = [];
  const serverLog = tail(KAFKA_LOG);
  const stdout = tail(KAFKA_STDOUT, 15);
  if (serverLog) parts.push(`--- last lines of ${path.relative(ROOT, KAFKA_LOG)} ---\n${serverLog}`);
  if (stdout) parts.push(`--- last lines of ${path.relative(ROOT, KAFKA_STDOUT)} ---\n${stdout}`);
  return new StackError(message, parts.join('\n') || '(the broker wrote no log)');
}

/** Keeps the previous run's logs (one generation) so a restart doesn't erase a crash's trail. */
function rotateKafkaLogs() {
  for (const file of [KAFKA_LOG, KAFKA_STDOUT]) {
    if (fs.existsSync(file)) fs.renameSync(file, `${file}.1`);
  }
}

async function spawnKafka(kafka, libs) {
  log(`starting Kafka ${KAFKA_VERSION} broker on 127.0.0.1:${kafka.port} (controller :${kafka.controllerPort})…`);
  rotateKafkaLogs();
  const out = fs.openSync(KAFKA_STDOUT, 'a');
  const child = spawn(
    'java',
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=${pathToFileURL(KAFKA_LOG4J).href}`,
      '-cp',
      path.join(libs, '*'),
      'kafka.Kafka',
      KAFKA_PROPS,
    ],
    // Detached + own log file: the broker outlives this script (and a test runner's process).
    { cwd: ROOT, detached: true, stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  fs.writeFileSync(KAFKA_PID_FILE, `${child.pid}\n`);

  const ready = await waitUntil('waiting for Kafka broker', KAFKA_START_TIMEOUT_MS, () => probeKafka(kafka.brokers), () => {
    if (exited || !isKafkaProcess(child.pid)) {
      fs.rmSync(KAFKA_PID_FILE, { force: true });
      throw kafkaFailure('Kafka broker exited during startup (if its data dir is damaged, `npm run stack:down` wipes it)');
    }
  });
  if (!ready) {
    // Don't leave a half-started broker behind for the next `up` to trip over.
    await terminate(child.pid);
    fs.rmSync(KAFKA_PID_FILE, { force: true });
    throw kafkaFailure(`Kafka broker did not answer within ${KAFKA_START_TIMEOUT_MS / 1000}s (stopped it)`);
  }
  log(`Kafka broker is up (pid ${child.pid})`);
  return child.pid;
}

/** SIGTERM for a controlled shutdown, SIGKILL if it overstays. */
async function terminate(pid) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const gone = await waitUntil('waiting for Kafka to exit', KAFKA_STOP_TIMEOUT_MS, () => !isKafkaProcess(pid));
  if (!gone) {
    log(`Kafka (pid ${pid}) still running after ${KAFKA_STOP_TIMEOUT_MS / 1000}s; sending SIGKILL`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitUntil('waiting for Kafka to die', 5000, () => !isKafkaProcess(pid));
  }
}

async function startKafkaImpl(cfg) {
  const { kafka } = cfg;
  const ourPid = ourKafkaPid();
  if (ourPid && (await probeKafka(kafka.brokers))) {
    log(`Kafka broker answers on ${kafka.host}:${kafka.port} (pid ${ourPid})`);
    recordService('kafka', false);
    await ensureTopic(kafka);
    return { startedNow: false, pid: ourPid };
  }

  if (!ourPid && (await portOpen(kafka.host, kafka.port))) {
    // Someone else's broker (docker, a colleague's script) is fine; anything else is a conflict.
    if (await waitUntil('checking what listens on the Kafka port', 10_000, () => probeKafka(kafka.brokers))) {
      log(`Kafka broker answers on ${kafka.host}:${kafka.port} (not started by stack)`);
      updateState({ kafka: { startedByStack: false } });
      await ensureTopic(kafka);
      return { startedNow: false, pid: null };
    }
    throw new StackError(`port ${kafka.port} is in use by ${whoListens(kafka.port)}, which is not a Kafka broker — stop it or set KAFKA_BROKERS to another port`);
  }

  if (ourPid) {
    // Our process exists but doesn't answer: still starting (another `up` racing) or wedged.
    const ready = await waitUntil('waiting for the running Kafka broker to answer', KAFKA_START_TIMEOUT_MS, () => probeKafka(kafka.brokers));
    if (!ready) throw kafkaFailure(`Kafka (pid ${ourPid}) is running but not answering on ${kafka.host}:${kafka.port}; try \`node scripts/stack.mjs kafka:stop\``);
    recordService('kafka', false);
    await ensureTopic(kafka);
    return { startedNow: false, pid: ourPid };
  }

  if (!isLocal(kafka.host)) throw new StackError(`no Kafka broker answers at ${kafka.host}:${kafka.port} (KAFKA_BROKERS) and it is not local, so it can't be started here`);
  if (await portOpen('127.0.0.1', kafka.controllerPort)) {
    throw new StackError(`port ${kafka.controllerPort} (Kafka controller = broker port + 1) is in use by ${whoListens(kafka.controllerPort)} — free it or set KAFKA_BROKERS to another port`);
  }
  ensureJava();
  const libs = await ensureKafkaJars();
  writeKafkaConfig(kafka);
  formatKafkaStorage(libs);
  const pid = await spawnKafka(kafka, libs);
  recordService('kafka', true);
  await ensureTopic(kafka);
  return { startedNow: true, pid };
}

async function stopKafkaImpl(cfg) {
  const pid = ourKafkaPid();
  if (!pid) {
    log('Kafka: no broker started by stack is running');
    return { stopped: false };
  }
  log(`stopping Kafka broker (pid ${pid})…`);
  await terminate(pid);
  fs.rmSync(KAFKA_PID_FILE, { force: true });
  // Callers (chaos tests) may restart immediately; make sure the port is really free.
  await waitUntil('waiting for the Kafka port to close', 5000, async () => !(await portOpen('127.0.0.1', cfg.kafka.port)));
  log('Kafka broker stopped');
  return { stopped: true };
}

// ---------------------------------------------------------------------------------------------
// Summary and status.

function describe(startedNow, service) {
  return startedNow || startedByStack(service) ? 'started by stack' : 'already running';
}

function printSummary(cfg, results, mode) {
  const rows = [
    ['mysql', redact(cfg.db.url), results.mariadb],
    ['redis', redact(cfg.redis.url), results.redis],
    ['kafka', `${cfg.kafka.brokers.join(',')} topic=${cfg.kafka.topic} (${cfg.kafka.partitions} partitions)`, results.kafka],
  ];
  log('stack is up:');
  for (const [name, url, how] of rows) logger(`  ${name.padEnd(6)} ${url.padEnd(48)} ${how}`);
  if (mode === 'docker') logger('  (services run in Docker: `npm run stack:down` stops them)');
}

async function statusImpl() {
  const cfg = config();
  const state = readState();
  const docker = !SEPARATE_STACK && state.mode === 'docker';
  const owner = (service) => (docker ? 'docker compose' : state[service]?.startedByStack ? 'started by stack' : 'not started by stack');

  const dbUp = await portOpen(cfg.db.host, cfg.db.port);
  const redisUp = await portOpen(cfg.redis.host, cfg.redis.port);
  const topics = await probeKafka(cfg.kafka.brokers);
  const pid = ourKafkaPid();
  let kafkaLine;
  if (topics) {
    const topicNote = topics.includes(cfg.kafka.topic) ? `topic ${cfg.kafka.topic} present` : `topic ${cfg.kafka.topic} MISSING`;
    kafkaLine = `up    ${cfg.kafka.brokers.join(',')}  ${topicNote}  (${pid ? `pid ${pid}, started by stack` : docker ? 'docker compose' : 'not started by stack'})`;
  } else if (await portOpen(cfg.kafka.host, cfg.kafka.port)) {
    kafkaLine = `down  ${cfg.kafka.host}:${cfg.kafka.port} is open but no Kafka broker answers${pid ? ` (pid ${pid} still starting?)` : ''}`;
  } else {
    kafkaLine = `down  ${cfg.kafka.brokers.join(',')}`;
  }
  const services = { mysql: dbUp, redis: redisUp, kafka: Boolean(topics) };
  logger(`mysql  ${dbUp ? 'up  ' : 'down'}  ${cfg.db.host}:${cfg.db.port}/${cfg.db.name}  (${owner('mariadb')})`);
  logger(`redis  ${redisUp ? 'up  ' : 'down'}  ${cfg.redis.host}:${cfg.redis.port}  (${owner('redis')})`);
  logger(`kafka  ${kafkaLine}`);
  return { ok: Object.values(services).every(Boolean), services };
}

// ---------------------------------------------------------------------------------------------
// Top-level operations.

async function upImpl() {
  const cfg = config();
  if (!SEPARATE_STACK && dockerUsable()) {
    log('Docker engine found: docker compose up -d --wait mysql redis kafka');
    compose(['up', '-d', '--wait', 'mysql', 'redis', 'kafka']);
    updateState({ mode: 'docker' });
    if (mysqlClient()) ensureDatabase(cfg.db); // the container creates agent_relay; DATABASE_URL may name another
    await ensureTopic(cfg.kafka);
    const how = 'docker compose';
    printSummary(cfg, { mariadb: how, redis: how, kafka: how }, 'docker');
    return { mode: 'docker' };
  }

  updateState({ mode: 'local' });
  const mariadb = await ensureMariadb(cfg);
  const redis = await ensureRedis(cfg);
  const kafka = await startKafkaImpl(cfg);
  printSummary(cfg, {
    mariadb: describe(mariadb.startedNow, 'mariadb'),
    redis: describe(redis.startedNow, 'redis'),
    kafka: describe(kafka.startedNow, 'kafka'),
  });
  return { mode: 'local', mariadb, redis, kafka };
}

async function downImpl() {
  const cfg = config();
  const state = readState();
  // The mode recorded by `up` decides; with no record, a usable Docker means compose owns the stack.
  if (!SEPARATE_STACK && (state.mode === 'docker' || (state.mode !== 'local' && dockerUsable()))) {
    log('docker compose down -v');
    // -v drops the images' anonymous data volumes: like the local path, every `up` starts clean.
    compose(['down', '-v']);
    fs.rmSync(STATE_FILE, { force: true });
    log('stack is down');
    return;
  }

  // Local mode: undo exactly what the record says we did, nothing more.
  await stopKafkaImpl(cfg);
  fs.rmSync(KAFKA_DATA, { recursive: true, force: true }); // next `up` formats a fresh, empty broker
  if (state.redis?.startedByStack) await stopRedis(cfg.redis);
  else log('Redis: left running (not started by stack)');
  if (state.mariadb?.startedByStack) await stopMariadb(cfg.db);
  else log('MariaDB: left running (not started by stack)');
  fs.rmSync(STATE_FILE, { force: true });
  log('stack is down');
}

async function kafkaStartImpl() {
  const cfg = config();
  if (!SEPARATE_STACK && readState().mode === 'docker') {
    log('docker compose start kafka');
    compose(['start', 'kafka']);
    await waitUntil('waiting for Kafka broker', KAFKA_START_TIMEOUT_MS, () => probeKafka(cfg.kafka.brokers));
    await ensureTopic(cfg.kafka);
    return { startedNow: true, pid: null };
  }
  return startKafkaImpl(cfg);
}

async function kafkaStopImpl() {
  const cfg = config();
  if (!SEPARATE_STACK && readState().mode === 'docker') {
    log('docker compose stop kafka');
    compose(['stop', 'kafka']);
    return { stopped: true };
  }
  return stopKafkaImpl(cfg);
}

/** Brings up MariaDB, Redis and Kafka (+ database and topic); idempotent. */
export const up = () => timed(upImpl);
/** Stops only what `up` started and wipes the local broker's data. */
export const down = () => timed(downImpl);
/** Prints one line per service; resolves to { ok, services }. */
export const status = () => timed(statusImpl);
/** Starts (or confirms) the broker, keeping its data dir: for chaos tests. */
export const startKafka = () => timed(kafkaStartImpl);
/** Stops the stack's broker, keeping its data dir so startKafka() resumes with the same topics. */
export const stopKafka = () => timed(kafkaStopImpl);

// ---------------------------------------------------------------------------------------------
// CLI.

const VERBS = { up, down, status, 'kafka:start': startKafka, 'kafka:stop': stopKafka };

async function main(argv) {
  const verb = argv[0];
  if (!VERBS[verb]) {
    console.error(`usage: node scripts/stack.mjs ${Object.keys(VERBS).join('|')}`);
    return 2;
  }
  try {
    const result = await VERBS[verb]();
    return verb === 'status' && !result.ok ? 3 : 0;
  } catch (error) {
    if (error instanceof StackError) {
      console.error(`stack ${verb}: ${error.message}`);
      if (error.detail) console.error(error.detail);
    } else {
      console.error(`stack ${verb}: unexpected error: ${error?.stack ?? error}`);
    }
    return 1;
  }
}

const invokedDirectly = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  // Exit explicitly: a lingering kafkajs socket or timer must not keep the CLI alive.
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
