import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type { CpuProfile } from './cpu-profile';
import { renderFlameGraph } from './flame-graph';

export type { CpuProfile } from './cpu-profile';

/** A time window in µs of the monotonic clock (process.hrtime), which V8's profile timestamps share. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Hits per node id: all of them, or only samples taken inside the window. */
const hitsByNode = (profile: CpuProfile, window?: ProfileWindow) => {
  const hits = new Map<number, number>();
  if (!window || !profile.samples || !profile.timeDeltas) {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
    return hits;
  }
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas?.[i] ?? 0;
    if (at >= window.fromUs && at <= window.toUs) hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  return hits;
};

export interface ProfileSummary {
  file: string;
  /** The flame graph picture drawn from the same samples (an SVG next to the .cpuprofile). */
  flameGraph: string;
  durationMs: number;
  samples: number;
  /** Share of samples by where the code lives: a package, src/, node internals, idle/GC. */
  byModule: { module: string; percent: number }[];
  /** Functions with the most self time. */
  topFunctions: { fn: string; where: string; percent: number }[];
}

const moduleOf = (url: string, fn: string) => {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node internals';
  const local = /\/(src|bench|test)\//.exec(url)?.[1];
  return local ? `${local}/` : url;
};

const share = (map: Map<string, number>, total: number, top: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, hits]) => [key, Number(((100 * hits) / total).toFixed(1))] as const);

/** Summarizes a profile (within the window, if given) and draws its flame graph next to `file` (`<name>.flame.svg`). */
export const summarizeProfile = (profile: CpuProfile, file: string, window?: ProfileWindow): ProfileSummary => {
  const hitsOf = hitsByNode(profile, window);
  const flameGraph = file.replace(/\.cpuprofile$/, '') + '.flame.svg';
  writeFileSync(
    flameGraph,
    renderFlameGraph(
      profile,
      hitsOf,
      `CPU flame graph: ${path.basename(file)}${window ? ' (measured window only)' : ''}`,
    ),
  );
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = hitsOf.get(node.id) ?? 0;
    if (!hits) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const mod = moduleOf(url, functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + hits);
    const key = `${functionName || '(anonymous)'}\t${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  }
  return {
    file,
    flameGraph,
    durationMs: Math.round(
      (window
        ? Math.min(window.toUs, profile.endTime) - Math.max(window.fromUs, profile.startTime)
        : profile.endTime - profile.startTime) / 1000,
    ),
    samples: total,
    byModule: share(byModule, total, 12).map(([module, percent]) => ({ module, percent })),
    topFunctions: share(byFunction, total, 15).map(([key, percent]) => {
      const [fn = '', where = ''] = key.split('\t');
      return { fn, where, percent };
    }),
  };
};

/** Samples this process's CPU (node:inspector) until stop(), which writes a .cpuprofile and summarizes it. */
export const startCpuProfile = async () => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(file: string): Promise<ProfileSummary> {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return summarizeProfile(profile, file);
    },
  };
};
