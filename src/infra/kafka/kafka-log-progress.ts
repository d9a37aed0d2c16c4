import type { LogProgressReader } from '../../domain/ports/log-progress';
import type { PartitionProgress } from '../../domain/lost-records';
import { withTimeout } from '../lifecycle';
import type { KafkaClient } from './create-kafka';

const offset = (value: string) => Number(value);

/**
 * The group's committed offsets (one OffsetFetch for every topic) and each topic's log start and
 * high watermark (one ListOffsets per topic; the relay writes one topic). Bounded in time: a
 * sweep must not hang on a broker that does not answer.
 */
export const createKafkaLogProgress = (deps: {
  kafka: KafkaClient;
  groupId: string;
  timeoutMs?: number;
}): LogProgressReader => ({
  async progress(topics) {
    const admin = deps.kafka.admin();
    const read = async () => {
      const [committed, ends] = await Promise.all([
        admin.fetchOffsets({ groupId: deps.groupId, topics: [...topics] }),
        Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
      ]);
      const committedAt = new Map(
        committed.flatMap((t) => t.partitions.map((p) => [`${t.topic}:${p.partition}`, offset(p.offset)] as const)),
      );
      return ends.flatMap(({ topic, partitions }) =>
        partitions.map((p): PartitionProgress => {
          const group = committedAt.get(`${topic}:${p.partition}`);
          return {
            topic,
            partition: p.partition,
            committed: group === undefined || group < 0 ? null : group,
            logStart: offset(p.low),
            highWatermark: offset(p.high),
          };
        }),
      );
    };
    return withTimeout('kafka log progress', deps.timeoutMs ?? 10_000, read());
  },
});
