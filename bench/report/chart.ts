import type { Bar, LatencyGroup } from '../lib/types';
import { formatNumber } from './format';

/** A hand-written SVG: throughput bars and latency percentiles, both on log axes. */
const WIDTH = 960;
const LABEL_W = 250;
const PLOT_W = WIDTH - LABEL_W - 90;
const PERCENTILES = [
  { key: 'p50', color: '#4c78a8' },
  { key: 'p95', color: '#72b7b2' },
  { key: 'p99', color: '#f58518' },
  { key: 'max', color: '#e45756' },
] as const;

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const text = (x: number, y: number, body: string, attrs = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(body)}</text>`;

const logAxis = (values: readonly number[]) => {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive, 10)));
  const x = (v: number) =>
    LABEL_W + (PLOT_W * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const ticks: number[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  return { x, ticks };
};

const panel = (top: number, height: number, title: string, unit: string, axis: ReturnType<typeof logAxis>) => [
  text(16, top + 20, title, 'font-size="15" font-weight="bold"'),
  ...axis.ticks.flatMap((t) => [
    `<line x1="${axis.x(t).toFixed(1)}" y1="${top + 32}" x2="${axis.x(t).toFixed(1)}" y2="${top + height - 18}" stroke="#ddd"/>`,
    text(axis.x(t), top + height - 4, `${formatNumber(t)}${unit}`, 'font-size="11" text-anchor="middle" fill="#666"'),
  ]),
];

const throughputPanel = (top: number, bars: readonly Bar[]) => {
  const height = 60 + bars.length * 30;
  const axis = logAxis(bars.map((b) => b.value));
  const body = bars.flatMap((bar, i) => {
    const y = top + 40 + i * 30;
    const end = axis.x(bar.value);
    return [
      text(LABEL_W - 8, y + 15, bar.label, 'font-size="13" text-anchor="end"'),
      `<rect x="${LABEL_W}" y="${y}" width="${Math.max(end - LABEL_W, 1).toFixed(1)}" height="20" fill="#4c78a8"/>`,
      text(end + 6, y + 15, `${formatNumber(bar.value)} ${bar.unit}`, 'font-size="12"'),
    ];
  });
  return { height, svg: [...panel(top, height, 'Throughput (log scale)', '', axis), ...body] };
};

const latencyPanel = (top: number, groups: readonly LatencyGroup[]) => {
  const rowsPer = (g: LatencyGroup) => PERCENTILES.filter((p) => g[p.key] !== undefined).length;
  const height = 70 + groups.reduce((sum, g) => sum + rowsPer(g) * 13 + 14, 0);
  const axis = logAxis(groups.flatMap((g) => PERCENTILES.map((p) => g[p.key] ?? Number.NaN)));
  let y = top + 40;
  const body = groups.flatMap((group) => {
    const present = PERCENTILES.filter((p) => group[p.key] !== undefined);
    const parts = [
      text(LABEL_W - 8, y + (present.length * 13) / 2 + 4, group.label, 'font-size="13" text-anchor="end"'),
    ];
    for (const p of present) {
      const value = group[p.key] as number;
      const end = axis.x(value);
      parts.push(
        `<rect x="${LABEL_W}" y="${y}" width="${Math.max(end - LABEL_W, 1).toFixed(1)}" height="11" fill="${p.color}"/>`,
      );
      parts.push(text(end + 4, y + 9, `${p.key} ${formatNumber(value)} ms`, 'font-size="10"'));
      y += 13;
    }
    y += 14;
    return parts;
  });
  const legend = PERCENTILES.map(
    (p, i) =>
      `<rect x="${WIDTH - 330 + i * 80}" y="${top + 8}" width="12" height="12" fill="${p.color}"/>${text(WIDTH - 314 + i * 80, top + 19, p.key, 'font-size="12"')}`,
  );
  return { height, svg: [...panel(top, height, 'Latency percentiles, ms (log scale)', '', axis), ...legend, ...body] };
};

export const renderChart = (input: {
  title: string;
  subtitle: string;
  bars: readonly Bar[];
  latencies: readonly LatencyGroup[];
}) => {
  let top = 56;
  const parts: string[] = [
    text(16, 24, input.title, 'font-size="18" font-weight="bold"'),
    text(16, 44, input.subtitle, 'font-size="12" fill="#555"'),
  ];
  for (const build of [
    input.bars.length ? () => throughputPanel(top, input.bars) : undefined,
    input.latencies.length ? () => latencyPanel(top, input.latencies) : undefined,
  ]) {
    if (!build) continue;
    const { height, svg } = build();
    parts.push(...svg);
    top += height + 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
};
