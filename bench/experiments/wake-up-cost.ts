/**
 * What one round trip costs the machine when processes sleep between them: two Node processes
 * ping-pong one byte over loopback TCP at a fixed rate (no database, no broker, no application
 * code), and each side's CPU is divided by the round trips. On a machine where a wake-up from
 * idle is dear (a VM: the idle vCPU is descheduled, and caches are cold when it runs again), the
 * cost per round trip at 100/s is several times its cost at 5,000/s, and every round trip the
 * product makes at a trickle (database, broker, Redis) pays the same toll. This separates that
 * floor from the product's own work.
 *
 *   npx tsx bench/experiments/wake-up-cost.ts [--rates 10,100,1000,5000] [--seconds 5]
 *
 * One JSON line per rate: the client (timer-driven, like the bench's open-loop writer) and the
 * echo server (woken by the socket only, like a relay or a database) in µs of CPU per round trip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rates: { type: 'string' }, seconds: { type: 'string' } } });
const rates = (values.rates ?? '10,100,1000,5000').split(',').map(Number);
const seconds = Number(values.seconds ?? 5);

/** The echo server: plain JavaScript in its own process, answering its CPU time when asked. */
const SERVER = `
const net = require('node:net');
const server = net.createServer((socket) => { socket.setNoDelay(true); socket.on('data', (d) => socket.write(d)); });
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => { const u = process.cpuUsage(); process.send({ cpuUs: u.user + u.system }); });
`;

const nextMessage = <T>(child: ChildProcess) => new Promise<T>((resolve) => child.once('message', resolve));
const serverCpuUs = async (child: ChildProcess) => {
  const answer = nextMessage<{ cpuUs: number }>(child);
  child.send('cpu');
  return (await answer).cpuUs;
};

const measure = async (rate: number) => {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await nextMessage<{ port: number }>(child);
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.setNoDelay(true);
    const total = Math.round(rate * seconds);
    const server0 = await serverCpuUs(child);
    const client0 = process.cpuUsage();
    const start = Date.now();
    // Open loop: each ping at its own time, whether or not the last pong came back.
    for (let sent = 1; sent <= total; sent += 1) {
      socket.write('x');
      const due = start + (sent * 1000) / rate;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    const client = process.cpuUsage(client0);
    const server = (await serverCpuUs(child)) - server0;
    socket.destroy();
    return {
      rate,
      roundTrips: total,
      clientUsPerRoundTrip: Number(((client.user + client.system) / total).toFixed(1)),
      serverUsPerRoundTrip: Number((server / total).toFixed(1)),
    };
  } finally {
    child.kill();
  }
};

const main = async () => {
  for (const rate of rates) console.log(JSON.stringify(await measure(rate)));
};

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
