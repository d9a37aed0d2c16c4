import { costRow, idleCost, parseCommandStats, type CostWindow } from '../../bench/lib/cost-meter';
import { renderFlameGraph } from '../../bench/lib/flame-graph';
import type { LoadReport } from '../../bench/lib/machine';
import type { CpuProfile } from '../../bench/lib/profiler';
import type { OfferedLoad } from '../../bench/scenarios/latency/load';
import { judgeSaturation } from '../../bench/scenarios/latency/step-costs';

const load = {} as LoadReport;
const statements = {
  Questions: 400,
  Com_select: 100,
  Com_insert: 100,
  Com_update: 100,
  Com_delete: 0,
  Com_begin: 50,
  Com_commit: 50,
  Com_rollback: 0,
};

/** 10 s in which the writer used 2 s of CPU, the relay + consumer 1 s, the machine 8 s. */
const window = (overrides: Partial<CostWindow> = {}): CostWindow => ({
  seconds: 10,
  cpuMs: { writer: 2000, relayConsumer: 1000, mariadb: 1500, kafka: 500, redis: 100, machine: 8000, other: 2900 },
  statements,
  redisCommands: 300,
  redisTop: [{ command: 'xadd', calls: 100 }],
  load,
  ...overrides,
});

describe('bench cost per message', () => {
  it('reads calls per command from INFO commandstats', () => {
    const info =
      '# Commandstats\r\ncmdstat_evalsha:calls=12,usec=340,usec_per_call=28.33\r\ncmdstat_xadd:calls=7,usec=70\r\n';
    expect(Object.fromEntries(parseCommandStats(info))).toEqual({ evalsha: 12, xadd: 7 });
  });

  it('divides CPU, statements and Redis commands by the messages, and CPU by the seconds for cores', () => {
    const row = costRow({
      scenario: 'latency',
      label: '100 msg/s',
      kind: 'step',
      offeredPerSec: 100,
      messages: 1000,
      consumed: 900,
      window: window(),
    });
    expect(row.msPerMessage).toEqual({
      writer: 2,
      relayConsumer: 1,
      mariadb: 1.5,
      kafka: 0.5,
      redis: 0.1,
      machine: 8,
      other: 2.9,
    });
    expect(row.cores.machine).toBe(0.8);
    expect(row.statementsPerMessage).toBe(0.4);
    expect(row.comPerMessage).toEqual({ select: 0.1, insert: 0.1, update: 0.1, delete: 0, commit: 0.05 });
    expect(row.redisPerMessage).toBe(0.3);
    expect(row.consumedPerSec).toBe(90);
  });

  it('keeps a role that does not run as null rather than zero', () => {
    const row = costRow({
      scenario: 'drain',
      label: 'drain',
      kind: 'drain',
      offeredPerSec: null,
      messages: 100,
      consumed: 100,
      window: window({ cpuMs: { ...window().cpuMs, writer: null } }),
    });
    expect(row.msPerMessage.writer).toBeNull();
    expect(row.cores.writer).toBeNull();
  });

  it('reports an idle window per second, all roles together without the machine and the rest', () => {
    const idle = idleCost('latency', window());
    expect(idle.corePercent.writer).toBe(20);
    expect(idle.allRolesPercent).toBeCloseTo(51);
    expect(idle.statementsPerSec).toBe(40);
    expect(idle.redisPerSec).toBe(30);
  });
});

describe('bench saturation verdict', () => {
  const run = (input: { completed: number; backlogAfter: number; eventLoop?: number }): OfferedLoad =>
    ({
      rate: 1000,
      load: { offered: 10_000, completed: input.completed, failed: 0, shed: 0 },
      eventLoop: input.eventLoop ?? 0.5,
      consumed: input.completed - input.backlogAfter,
      backlog: { before: 0, after: input.backlogAfter },
      cost: window({ cpuMs: { ...window().cpuMs, relayConsumer: 9_500, machine: 19_000 } }),
    }) as unknown as OfferedLoad;

  it('keeps up when everything offered was committed and the backlog did not grow', () => {
    expect(judgeSaturation(run({ completed: 10_000, backlogAfter: 10 }), 2)).toMatchObject({ saturated: false });
  });

  it('names the pipeline when the backlog grows, and the busiest bound first', () => {
    const verdict = judgeSaturation(run({ completed: 10_000, backlogAfter: 4_000 }), 2);
    expect(verdict.saturated).toBe(true);
    expect(verdict.text).toMatch(/relay → consumer pipeline fell behind/);
    expect(verdict.text).toMatch(
      /nearest bound: app child \(relay \+ consumer\) 0\.95 of 1 core, machine 1\.90 of 2 cores/,
    );
  });

  it('names the writer when it committed less than offered over the window', () => {
    expect(judgeSaturation(run({ completed: 5_000, backlogAfter: 0, eventLoop: 0.99 }), 2).text).toMatch(
      /the writer fell behind.*nearest bound: writer event loop 99 % busy/,
    );
  });
});

describe('bench flame graph', () => {
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, url, lineNumber: 0 },
    children,
  });
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 1000,
    nodes: [
      frame(1, '(root)', '', [2, 3, 4]),
      frame(2, '(idle)', ''),
      frame(3, 'claimBatch', 'file:///repo/src/relay/claim.ts', [5]),
      frame(4, 'parse', 'file:///repo/node_modules/mariadb/lib/parse.js'),
      frame(5, 'send', 'node:net'),
    ],
  };
  const svg = renderFlameGraph(
    profile,
    new Map([
      [2, 90],
      [3, 6],
      [4, 2],
      [5, 2],
    ]),
    'test <profile>',
  );

  it('draws each function with its share, leaving idle samples out', () => {
    expect(svg).toContain('10 samples drawn; 90 idle/program samples (90 % of all) left out');
    expect(svg).toMatch(/claimBatch src\/relay\/claim\.ts:1\ntotal 80\.0 % · self 60\.0 %/);
    expect(svg).not.toContain('>(idle)<');
    expect(svg).toContain('test &lt;profile&gt;');
  });

  it('colours a box by where its code lives: src/ red, a package orange, Node grey', () => {
    const fill = (name: string) =>
      new RegExp(`<title>${name} [^<]*</title><rect [^>]*fill="hsl\\((\\d+), (\\d+)%`).exec(svg)?.slice(1).map(Number);
    expect(fill('claimBatch')).toEqual([8, 75]);
    expect(fill('parse')?.[0]).toBeGreaterThanOrEqual(30);
    expect(fill('parse')?.[0]).toBeLessThan(70);
    expect(fill('send')).toEqual([0, 0]);
  });

  it('gives a callee the width of its share under its caller', () => {
    const width = (name: string) =>
      Number(new RegExp(`<title>${name} [^<]*</title><rect x="[\\d.]+" y="\\d+" width="([\\d.]+)"`).exec(svg)?.[1]);
    expect(width('claimBatch')).toBeCloseTo(4 * width('send'));
    expect(width('parse')).toBeCloseTo(width('send'));
  });
});
