import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockRedisDb, redisLockFile } from '../../scripts/chaos/run-locks';
import { lockBrokerPort, tryLock, type HeldLock } from '../../tools/kit/machine-locks';

const REDIS = new URL('redis://127.0.0.1:6379');

/** A pid that no process has any more. */
const deadPid = () => {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid;
};

const held = (lock: HeldLock | { heldBy: number }): HeldLock => {
  if (!('release' in lock)) throw new Error(`lock held by ${lock.heldBy}`);
  return lock;
};

describe('machine-wide run locks (two chaos runs or fault suites on one machine never share a broker port or a Redis index)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-locks-test-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a lock a live run holds is refused, with its pid; released, it can be taken', () => {
    const file = path.join(dir, 'a.lock');
    const first = held(tryLock(file, { pid: process.pid, isHolder: () => true }));
    expect(tryLock(file, { pid: 1234567, isHolder: () => true })).toEqual({ heldBy: process.pid });
    first.release();
    expect(fs.existsSync(file)).toBe(false);
    held(tryLock(file, { pid: 1234567, isHolder: () => true }));
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('1234567');
  });

  it('a lock whose run is gone, or whose pid now runs something else, is taken over', () => {
    const file = path.join(dir, 'b.lock');
    fs.writeFileSync(file, `${deadPid()}\n`);
    held(tryLock(file, { isHolder: () => true }));
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(String(process.pid));

    fs.writeFileSync(file, `${process.pid}\n`);
    held(tryLock(file, { pid: 7654321, isHolder: () => false }));
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('7654321');
  });

  it('release leaves a lock that another run has taken since', () => {
    const file = path.join(dir, 'c.lock');
    const ours = held(tryLock(file));
    fs.writeFileSync(file, '1\n');
    ours.release();
    expect(fs.readFileSync(file, 'utf8').trim()).toBe('1');
  });

  it('without --redis-db a second run gets the next free index; an index asked for that is held fails', () => {
    const live = () => true;
    expect(lockRedisDb(dir, REDIS, undefined, live).db).toBe(11);
    expect(lockRedisDb(dir, REDIS, undefined, live).db).toBe(12);
    expect(() => lockRedisDb(dir, REDIS, 11, live)).toThrow(
      `Redis index 11 is in use by another chaos run (pid ${process.pid}); pass another --redis-db`,
    );
    expect(lockRedisDb(dir, REDIS, 14, live).db).toBe(14);
    expect(lockRedisDb(dir, REDIS, undefined, live).db).toBe(13);
    expect(lockRedisDb(dir, REDIS, undefined, live).db).toBe(15);
    expect(() => lockRedisDb(dir, REDIS, undefined, live)).toThrow(
      'every chaos Redis index (11, 12, 13, 14, 15) is in use',
    );
  });

  it('locks one index of one server: another Redis has indexes of its own', () => {
    const other = new URL('redis://cache.internal:6380/3');
    expect(path.basename(redisLockFile(dir, other, 11))).toBe('agent-relay-chaos-redis-cache.internal-6380-11.lock');
    expect(lockRedisDb(dir, REDIS, undefined, () => true).db).toBe(11);
    expect(lockRedisDb(dir, other, undefined, () => true).db).toBe(11);
  });

  it('a broker port comes with its controller port free and a lock of its own', async () => {
    const { port, lock } = await lockBrokerPort(dir);
    expect(fs.readFileSync(lock.file, 'utf8').trim()).toBe(String(process.pid));
    expect(lock.file).toContain(`kafka-${port}.lock`);
    const second = await lockBrokerPort(dir);
    expect(second.port).not.toBe(port);
  });
});
