import type { PartitionProgress } from '../lost-records';

/**
 * Reads where the log begins and ends and where the history consumer group stands.
 * Guarantee: a constant number of broker requests per call, whatever the row count; one
 * entry per partition of every topic asked for; rejects when the broker cannot answer.
 */
export interface LogProgressReader {
  progress(topics: readonly string[]): Promise<PartitionProgress[]>;
}
