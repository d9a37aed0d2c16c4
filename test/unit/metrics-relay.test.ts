import { Registry } from 'prom-client';
import { NO_ROWS, type RelayBatchSummary } from '../../src/application/relay-batch.use-case';
import { createRelayMetrics, measuredPublisher, measureRelayRound } from '../../src/infra/metrics/relay-metrics';
import { anOutboxMessage } from '../support/builders';

const summary = (overrides: Partial<RelayBatchSummary> = {}): RelayBatchSummary => ({ ...NO_ROWS, ...overrides });

const setup = () => {
  const registry = new Registry();
  const metrics = createRelayMetrics(registry);
  const values = async () =>
    Object.fromEntries(
      (await registry.getMetricsAsJSON()).flatMap((m) =>
        m.values.map((v) => [(v as { metricName?: string }).metricName ?? m.name, v.value] as const),
      ),
    );
  return { metrics, values };
};

describe('relay metrics', () => {
  it('counts every claim round and the rows of each outcome, and passes the summary through', async () => {
    const { metrics, values } = setup();
    const rounds = [
      summary({ claimed: 5, published: 3, retried: 1, dead: 1 }),
      summary({ claimed: 2, stale: 2 }),
      summary(),
    ];
    const relayBatch = measureRelayRound(metrics, async () => rounds.shift() ?? summary());
    await expect(relayBatch()).resolves.toEqual(summary({ claimed: 5, published: 3, retried: 1, dead: 1 }));
    await relayBatch();
    await relayBatch();
    expect(await values()).toMatchObject({
      agent_relay_relay_claims_total: 3,
      agent_relay_relay_published_total: 3,
      agent_relay_relay_retries_total: 1,
      agent_relay_relay_dead_total: 1,
      agent_relay_relay_stale_total: 2,
      // Empty claims are counted as claims but not as batches.
      agent_relay_relay_batch_rows_count: 2,
      agent_relay_relay_batch_rows_sum: 7,
    });
  });

  it('times each publish, failed ones included, and returns what the publisher returned', async () => {
    const { metrics, values } = setup();
    const failures = new Map([['1', { error: 'boom', permanent: false }]]);
    let calls = 0;
    const publisher = measuredPublisher(metrics, {
      async publish() {
        calls += 1;
        if (calls === 2) throw new Error('producer not started');
        return { acknowledged: new Map(), failures };
      },
    });
    await expect(publisher.publish([anOutboxMessage()])).resolves.toEqual({ acknowledged: new Map(), failures });
    await expect(publisher.publish([anOutboxMessage()])).rejects.toThrow('producer not started');
    expect(await values()).toMatchObject({ agent_relay_relay_publish_seconds_count: 2 });
  });
});
