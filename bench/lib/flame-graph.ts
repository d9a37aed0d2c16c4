import type { CpuProfile } from './cpu-profile';

/**
 * A flame graph picture (an icicle: callers on top, callees below, width = share of samples)
 * from a V8 .cpuprofile, as a self-contained SVG a browser opens; each box's tooltip names the
 * function, its file and its total and self share. Hand-written because the npm renderers do not
 * fit: `flamegraph` (last release 2017) documents that it no longer reads current .cpuprofile
 * files, and the maintained ones (d3-flame-graph, speedscope) render in a browser, not to a file.
 */
const WIDTH = 1400;
const ROW = 17;
const TOP = 50;
const MIN_PX = 0.4;
/** Samples that are not the program: left out, with their share in the subtitle. */
const LEFT_OUT = new Set(['(idle)', '(program)']);

interface Frame {
  name: string;
  url: string;
  where: string;
  self: number;
  total: number;
  children: Frame[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const colorOf = (url: string, name: string) => {
  if (name === '(garbage collector)') return 'hsl(200, 50%, 70%)';
  if (!url.startsWith('file://')) return 'hsl(0, 0%, 78%)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (!pkg) return `hsl(${/\/src\//.test(url) ? 8 : 280}, 75%, 62%)`;
  let hash = 0;
  for (const ch of pkg) hash = (hash * 31 + ch.charCodeAt(0)) % 360;
  return `hsl(${30 + (hash % 40)}, 80%, ${55 + (hash % 15)}%)`;
};

const whereOf = (url: string, line: number) =>
  url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|test)\//, '$1/')}:${line + 1}` : '';

export const renderFlameGraph = (profile: CpuProfile, hits: Map<number, number>, title: string) => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const root = profile.nodes[0];
  let leftOut = 0;
  let all = 0;
  const build = (id: number): Frame | undefined => {
    const node = byId.get(id);
    if (!node) return undefined;
    const self = hits.get(id) ?? 0;
    all += self;
    if (LEFT_OUT.has(node.callFrame.functionName)) {
      leftOut += self;
      return undefined;
    }
    const children = (node.children ?? []).map(build).filter((f): f is Frame => f !== undefined && f.total > 0);
    const { functionName, url, lineNumber } = node.callFrame;
    return {
      name: functionName || '(anonymous)',
      url,
      where: whereOf(url, lineNumber),
      self,
      total: self + children.reduce((sum, c) => sum + c.total, 0),
      children: children.sort((a, b) => b.total - a.total),
    };
  };
  const tree = root ? build(root.id) : undefined;
  const total = tree?.total ?? 0;
  const scale = total > 0 ? WIDTH / total : 0;
  const boxes: string[] = [];
  let depth = 0;
  const draw = (frame: Frame, x: number, level: number) => {
    const width = frame.total * scale;
    if (width < MIN_PX) return;
    depth = Math.max(depth, level + 1);
    const y = TOP + level * ROW;
    const pct = (n: number) => ((100 * n) / Math.max(total, 1)).toFixed(1);
    const label = width > 30 ? esc(frame.name.slice(0, Math.floor(width / 6.5))) : '';
    boxes.push(
      `<g><title>${esc(`${frame.name} ${frame.where}\ntotal ${pct(frame.total)} % · self ${pct(frame.self)} % (${frame.total} samples)`)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${width.toFixed(2)}" height="${ROW - 1}" fill="${colorOf(frame.url, frame.name)}" rx="1"/>${label ? `<text x="${(x + 3).toFixed(1)}" y="${y + 12}" font-size="11">${label}</text>` : ''}</g>`,
    );
    let childX = x;
    for (const child of frame.children) {
      draw(child, childX, level + 1);
      childX += child.total * scale;
    }
  };
  if (tree) draw(tree, 0, 0);
  const height = TOP + depth * ROW + 20;
  const subtitle = `${total} samples drawn; ${leftOut} idle/program samples (${((100 * leftOut) / Math.max(all, 1)).toFixed(0)} % of all) left out. Width = share of CPU samples; hover a box for its function, file and shares. Colours: red src/, purple bench/, orange npm packages, grey Node internals and native, blue GC.`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Menlo, Consolas, monospace">
<rect width="100%" height="100%" fill="white"/>
<text x="6" y="20" font-size="15" font-family="Helvetica, Arial, sans-serif" font-weight="bold">${esc(title)}</text>
<text x="6" y="38" font-size="11" font-family="Helvetica, Arial, sans-serif" fill="#555">${esc(subtitle)}</text>
${boxes.join('\n')}
</svg>
`;
};
