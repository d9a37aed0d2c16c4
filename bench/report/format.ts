import type { Metric, Target } from '../lib/types';

export const formatNumber = (value: number) => {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
};

const withUnit = (value: string, unit: string) =>
  unit === '×' || unit === '%' ? `${value}${unit === '×' ? '×' : ' %'}` : unit ? `${value} ${unit}` : value;

export const formatValue = (m: Pick<Metric, 'value' | 'unit'>) =>
  m.value === null || !Number.isFinite(m.value) ? 'n/a' : withUnit(formatNumber(m.value), m.unit);

export const formatTarget = (target: Target | undefined, unit: string) =>
  target ? `${target.op === '>=' ? '≥' : '≤'} ${withUnit(formatNumber(target.value), unit)}` : '—';

export const formatVerdict = (m: Metric) =>
  m.target === undefined ? '' : m.met === undefined ? 'not measured' : m.met ? 'met' : 'NOT met';
