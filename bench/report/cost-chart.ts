import { ROLE_LABELS, type CostRole, type CostRow } from '../lib/cost-meter';
import { text } from './chart';
import { formatNumber } from './format';

/** CPU ms per message against the rate, both on log axes: one line per role over the latency steps, squares for the drain. */
const WIDTH = 900;
const HEIGHT = 520;
const PLOT = { left: 70, right: 190, top: 60, bottom: 50 };
const SERIES: { role: CostRole; color: string }[] = [
  { role: 'machine', color: '#222222' },
  { role: 'relayConsumer', color: '#e45756' },
  { role: 'writer', color: '#4c78a8' },
  { role: 'mariadb', color: '#f58518' },
  { role: 'kafka', color: '#54a24b' },
  { role: 'redis', color: '#b279a2' },
];

const logScale = (values: readonly number[], from: number, to: number) => {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(positive.length ? Math.min(...positive) : 1));
  const hi = Math.max(10 ** Math.ceil(Math.log10(positive.length ? Math.max(...positive) : 1)), lo * 10);
  const at = (v: number) =>
    from + ((to - from) * (Math.log10(Math.max(v, lo)) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo) || 1);
  const ticks: number[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
  return { at, ticks };
};

const rateOf = (row: CostRow) => row.offeredPerSec ?? row.consumedPerSec;

export const renderCostChart = (input: { subtitle: string; rows: readonly CostRow[] }) => {
  const rows = input.rows.filter((r) => r.messages > 0 && r.kind !== 'reference');
  const x = logScale(rows.map(rateOf), PLOT.left, WIDTH - PLOT.right);
  const y = logScale(
    rows.flatMap((r) => SERIES.map((s) => r.msPerMessage[s.role] ?? Number.NaN)),
    HEIGHT - PLOT.bottom,
    PLOT.top,
  );
  const parts = [
    text(16, 24, 'CPU per message against the rate (log–log)', 'font-size="18" font-weight="bold"'),
    text(16, 44, input.subtitle, 'font-size="12" fill="#555"'),
    ...x.ticks.flatMap((t) => [
      `<line x1="${x.at(t).toFixed(1)}" y1="${PLOT.top}" x2="${x.at(t).toFixed(1)}" y2="${HEIGHT - PLOT.bottom}" stroke="#ddd"/>`,
      text(x.at(t), HEIGHT - PLOT.bottom + 16, formatNumber(t), 'font-size="11" text-anchor="middle" fill="#666"'),
    ]),
    ...y.ticks.flatMap((t) => [
      `<line x1="${PLOT.left}" y1="${y.at(t).toFixed(1)}" x2="${WIDTH - PLOT.right}" y2="${y.at(t).toFixed(1)}" stroke="#ddd"/>`,
      text(PLOT.left - 6, y.at(t) + 4, formatNumber(t), 'font-size="11" text-anchor="end" fill="#666"'),
    ]),
    text(
      (PLOT.left + WIDTH - PLOT.right) / 2,
      HEIGHT - 12,
      'msg/s (latency steps: offered; drain: achieved)',
      'font-size="12" text-anchor="middle"',
    ),
    text(
      18,
      (PLOT.top + HEIGHT - PLOT.bottom) / 2,
      'CPU ms per message',
      `font-size="12" text-anchor="middle" transform="rotate(-90 18 ${(PLOT.top + HEIGHT - PLOT.bottom) / 2})"`,
    ),
  ];
  const steps = rows.filter((r) => r.kind === 'step').sort((a, b) => rateOf(a) - rateOf(b));
  const drains = rows.filter((r) => r.kind === 'drain');
  // The steps' own rates between the decades, so 250 and 500 can be read off the axis.
  for (const rate of new Set(steps.map(rateOf).filter((v) => !x.ticks.includes(v))))
    parts.push(
      text(
        x.at(rate),
        HEIGHT - PLOT.bottom + 16,
        formatNumber(rate),
        'font-size="10" text-anchor="middle" fill="#999"',
      ),
    );
  SERIES.forEach(({ role, color }, i) => {
    const points = steps
      .filter((r) => (r.msPerMessage[role] ?? 0) > 0)
      .map((r) => [x.at(rateOf(r)), y.at(r.msPerMessage[role] as number)] as const);
    if (points.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${color}" stroke-width="${role === 'machine' ? 3 : 2}" points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`,
      );
    for (const [px, py] of points)
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="4" fill="${color}"/>`);
    for (const r of drains) {
      const v = r.msPerMessage[role];
      if (v && v > 0)
        parts.push(
          `<rect x="${(x.at(rateOf(r)) - 5).toFixed(1)}" y="${(y.at(v) - 5).toFixed(1)}" width="10" height="10" fill="none" stroke="${color}" stroke-width="2"/>`,
        );
    }
    const ly = PLOT.top + 10 + i * 20;
    parts.push(
      `<line x1="${WIDTH - PLOT.right + 16}" y1="${ly}" x2="${WIDTH - PLOT.right + 40}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
      text(WIDTH - PLOT.right + 46, ly + 4, ROLE_LABELS[role], 'font-size="12"'),
    );
  });
  const ly = PLOT.top + 10 + SERIES.length * 20;
  if (drains.length)
    parts.push(
      `<rect x="${WIDTH - PLOT.right + 23}" y="${ly - 5}" width="10" height="10" fill="none" stroke="#222" stroke-width="2"/>`,
      text(WIDTH - PLOT.right + 46, ly + 4, 'drain (at its rate)', 'font-size="12"'),
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif">
<rect width="100%" height="100%" fill="white"/>
${parts.join('\n')}
</svg>
`;
};
