/** Network helpers: is a port open, and who holds it. */
import net from 'node:net';
import { run, waitUntil } from './proc';

export function portOpen(host: string, port: number, timeoutMs = 1000) {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls until nothing listens on host:port any more (or the timeout passes). */
export function waitPortClosed(label: string, timeoutMs: number, host: string, port: number) {
  return waitUntil(label, timeoutMs, async () => !(await portOpen(host, port)));
}

/** Best effort: names the process listening on a port, for "port is taken" messages. */
export function whoListens(port: number): string {
  const result = run('ss', ['-Hltnp', `sport = :${port}`], { timeout: 5000 });
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.output);
  return match ? `${match[1]} (pid ${match[2]})` : 'another process';
}
