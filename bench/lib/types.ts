import type { CostRow } from './cost-meter';
import type { Progress } from './progress';
import type { Scope } from './scope';

export type ScenarioName = 'drain' | 'latency' | 'chat' | 'fanout' | 'abuse';
export const SCENARIOS: readonly ScenarioName[] = ['drain', 'latency', 'chat', 'fanout', 'abuse'];

/** A goal to report against; the harness never asserts it. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
}

export interface Metric {
  readonly scenario: ScenarioName;
  readonly name: string;
  /** null when it could not be measured (the scenario failed part-way). */
  readonly value: number | null;
  readonly unit: string;
  readonly target?: Target;
  readonly met?: boolean;
  readonly note?: string;
}

/** Chart inputs: throughput bars and latency percentile groups. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

export interface LatencyGroup {
  readonly label: string;
  readonly p50: number;
  readonly p95?: number;
  readonly p99: number;
  readonly max?: number;
}

export interface ScenarioOutput {
  metrics: Metric[];
  notes: string[];
  details: Record<string, unknown>;
  bars?: Bar[];
  latencies?: LatencyGroup[];
  /** Extra Markdown for the report (profiles, statement timings). */
  sections?: string[];
  /** Cost per message rows, for the report's cost chart. */
  costs?: CostRow[];
}

interface ScenarioContext {
  readonly quick: boolean;
  readonly profile: boolean;
  readonly outDir: string;
  readonly progress: Progress;
  /** Disposers for everything the scenario creates; run at its end, also on failure. */
  readonly scope: Scope;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioOutput>;

/** A metric with its target verdict computed. */
export const metric = (
  scenario: ScenarioName,
  name: string,
  value: number | null,
  unit: string,
  options: { target?: Target; note?: string } = {},
): Metric => {
  const { target, note } = options;
  const met =
    target && value !== null && Number.isFinite(value)
      ? target.op === '>='
        ? value >= target.value
        : value <= target.value
      : undefined;
  return {
    scenario,
    name,
    value,
    unit,
    ...(target ? { target } : {}),
    ...(met !== undefined ? { met } : {}),
    ...(note ? { note } : {}),
  };
};
