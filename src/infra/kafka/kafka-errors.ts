interface ErrorLink {
  name?: string;
  type?: string;
  message?: string;
}

/** kafkajs wraps errors (retries exceeded → connection error); walk the chain by name. */
const chain = (error: unknown): ErrorLink[] => {
  const seen: ErrorLink[] = [];
  let current = error as (ErrorLink & { cause?: unknown; originalError?: unknown }) | undefined;
  while (current && typeof current === 'object' && seen.length < 10) {
    seen.push(current);
    current = (current.originalError ?? current.cause) as typeof current;
  }
  return seen;
};

/**
 * kafkajs 2.2.4 client-side errors (src/errors.js) that mean "the broker cannot be reached or
 * does not know where to put anything right now". KafkaJSLockTimeout is the idempotent
 * producer's per-broker lock timing out behind a request that hangs on a dead connection.
 */
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSSASLAuthenticationError',
  'KafkaJSStaleTopicMetadataAssignment',
]);

/** Plain KafkaJSError messages (no class of their own) that describe the client's link to the cluster, not a record. */
const UNAVAILABLE_MESSAGES = /^(The producer is disconnected|Not connected|Invalid partition metadata)$/;

/**
 * The idempotent producer's own state no longer matches the broker's (seen after a broker
 * restart: every send then fails with OUT_OF_ORDER_SEQUENCE_NUMBER, and kafkajs 2.2.4 never
 * recovers the producer by itself). Nothing is wrong with the records: the relay pauses as for an
 * outage, and the publisher replaces its producer (a new producer id starts fresh sequences).
 */
const PRODUCER_STATE_TYPES = [
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
];

/** The send failed because the producer's sequence state is stale: it must be replaced. */
export const needsNewProducer = (error: unknown) =>
  chain(error).some((e) => e.type !== undefined && PRODUCER_STATE_TYPES.includes(e.type));

/**
 * Broker protocol errors (kafkajs src/protocol/error.js `type`) that are about the cluster, not the
 * record: leadership moving, replicas missing, coordinator loading, the broker refusing this client
 * (authorization, SASL), or the topic missing (a misconfiguration: the producer never creates topics).
 * Every row of a batch would fail alike, so none of them may pay an attempt for it.
 */
const UNAVAILABLE_TYPES = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'NETWORK_EXCEPTION',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
  'KAFKA_STORAGE_ERROR',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  ...PRODUCER_STATE_TYPES,
]);

/** Protocol errors about the record itself: no retry can fix it, the row goes DEAD at once. */
const RECORD_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_TIMESTAMP',
]);

/**
 * How a failed send is handled:
 * - `unavailable`: the broker or the path to it failed (transport, availability, authorization,
 *   missing topic). The relay pauses for the whole broker; rows keep their attempts.
 * - `record`: the record can never be accepted as it is (too large, invalid, unserialisable): DEAD.
 * - `unknown`: anything else. Rows are isolated per conversation; what an unknown failure costs
 *   is the relay plan's decision (src/domain/relay-outcome.ts): when the broker acknowledged other
 *   rows of the round, the failing row pays an attempt with backoff (so one odd record cannot
 *   stall the relay forever); when it acknowledged none, the round counts as an outage (paused,
 *   attempts untouched), so an error this list does not know yet never empties history into DEAD.
 */
export type PublishErrorClass = 'unavailable' | 'record' | 'unknown';

export const classifyPublishError = (error: unknown): PublishErrorClass => {
  const links = chain(error);
  // Record faults first: kafkajs reports MESSAGE_TOO_LARGE as a protocol error inside a
  // non-retriable wrapper, and nothing about the broker being down can be hiding behind it.
  if (links.some((e) => e.type !== undefined && RECORD_TYPES.has(e.type))) return 'record';
  const unavailable = (e: ErrorLink) =>
    (e.name !== undefined && UNAVAILABLE_NAMES.has(e.name)) ||
    (e.type !== undefined && UNAVAILABLE_TYPES.has(e.type)) ||
    (e.name === 'KafkaJSError' && UNAVAILABLE_MESSAGES.test(e.message ?? ''));
  if (links.some(unavailable)) return 'unavailable';
  // JSON.stringify failing on a payload (a cycle, a BigInt) is the record's fault, too.
  if (links.some((e) => e.name === 'TypeError' && /JSON|BigInt|circular/i.test(e.message ?? ''))) return 'record';
  return 'unknown';
};

/** The broker (or the network to it) is down or refuses us: every row fails alike, no point isolating rows. */
export const isBrokerUnavailable = (error: unknown) => classifyPublishError(error) === 'unavailable';

export const isPermanentPublishError = (error: unknown) => classifyPublishError(error) === 'record';

export const describeError = (error: unknown): string => {
  const text = chain(error)
    .map((e) => [e.name, e.type, e.message].filter(Boolean).join(': '))
    .filter((line, index, all) => line && all.indexOf(line) === index)
    .join(' <- ');
  return text || String(error);
};
