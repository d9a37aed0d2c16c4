/** Tells the relay that rows were committed. Deduplicated; losing one only costs latency (the poll catches up). */
export interface RelayWaker {
  wake(): Promise<void>;
}
