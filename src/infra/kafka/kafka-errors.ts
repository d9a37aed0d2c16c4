/** kafkajs wraps errors (retries exceeded → connection error); walk the chain by name. */
const chain = (error: unknown): { name?: string; type?: string; message?: string }[] => {
  const seen: { name?: string; type?: string; message?: string }[] = [];
  let current = error as { name?: string; type?: string; cause?: unknown; originalError?: unknown } | undefined;
  while (current && typeof current === 'object' && seen.length < 10) {
    seen.push(current);
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return seen;
};

const UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/** Protocol errors no retry can fix: the record or its topic is wrong. */
const PERMANENT = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TOPIC_EXCEPTION', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'TOPIC_AUTHORIZATION_FAILED']);

/** The broker (or the network to it) is down: every row fails alike, no point isolating rows. */
export const isBrokerUnavailable = (error: unknown) => chain(error).some((e) => e.name !== undefined && UNAVAILABLE.has(e.name));

export const isPermanentPublishError = (error: unknown) => chain(error).some((e) => e.type !== undefined && PERMANENT.has(e.type));

export const describeError = (error: unknown): string => {
  const text = chain(error)
    .map((e) => [e.name, e.type, e.message].filter(Boolean).join(': '))
    .filter((line, index, all) => line && all.indexOf(line) === index)
    .join(' <- ');
  return text || String(error);
};
