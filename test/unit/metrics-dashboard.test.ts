import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createMetrics } from '../../src/wiring/metrics.wiring';
import { createRecordingLogger } from '../support/fakes/recording-logger';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../grafana/agent-relay-dashboard.json'), 'utf8'),
) as {
  schemaVersion: number;
  __inputs: { name: string; pluginId: string }[];
  panels: Panel[];
};

describe('the Grafana dashboard', () => {
  const { registry } = createMetrics({
    database: {
      fork: () => {
        throw new Error('not used');
      },
    },
    logger: createRecordingLogger(),
  });

  it('is importable with a Prometheus datasource input', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }),
    );
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row'))
      expect(panel.datasource?.uid).toBe('${DS_PROMETHEUS}');
  });

  it('queries only series the service exports', () => {
    const names = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .flatMap((t) => t.expr.match(/agent_relay_[a-z_]+/g) ?? []);
    expect(names.length).toBeGreaterThan(0);
    for (const name of new Set(names)) {
      const base = registry.getSingleMetric(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      expect([name, registry.getSingleMetric(base)?.constructor.name]).toEqual([
        name,
        expect.stringMatching(base === name ? /./ : /^Histogram$/),
      ]);
    }
  });
});
