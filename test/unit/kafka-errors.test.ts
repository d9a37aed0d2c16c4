import {
  classifyPublishError,
  describeError,
  isBrokerUnavailable,
  isPermanentPublishError,
  needsNewProducer,
} from '../../src/infra/kafka/kafka-errors';
import { connectionRefused, messageTooLarge, outOfOrderSequence } from '../support/fakes/fake-kafka-producer';

/** Error objects shaped like kafkajs's: a name, sometimes a protocol type, and a wrapped cause. */
const connectionError = { name: 'KafkaJSConnectionError', message: 'Connection error: ECONNREFUSED' };
const retriesExceeded = (originalError: object) => ({
  name: 'KafkaJSNumberOfRetriesExceeded',
  message: 'retries exceeded',
  originalError,
});
const protocolError = (type: string) => ({ name: 'KafkaJSProtocolError', type, message: `protocol error ${type}` });

describe('isBrokerUnavailable', () => {
  it('sees a connection error wrapped in retries-exceeded', () => {
    expect(isBrokerUnavailable(retriesExceeded(connectionError))).toBe(true);
  });

  it.each([
    'KafkaJSConnectionClosedError',
    'KafkaJSRequestTimeoutError',
    'KafkaJSBrokerNotFound',
    'KafkaJSMetadataNotLoaded',
    'KafkaJSLockTimeout',
  ])('treats %s as the broker being unavailable', (name) => {
    expect(isBrokerUnavailable({ name })).toBe(true);
  });

  it('follows a standard `cause` as well as `originalError`', () => {
    expect(isBrokerUnavailable(new Error('send failed', { cause: connectionError }))).toBe(true);
  });

  it('does not blame the broker for a protocol error about the record', () => {
    expect(isBrokerUnavailable(retriesExceeded(protocolError('MESSAGE_TOO_LARGE')))).toBe(false);
  });

  it.each([new Error('boom'), 'boom', undefined, null, 42])('is false for %p', (error) => {
    expect(isBrokerUnavailable(error)).toBe(false);
  });
});

describe('isPermanentPublishError', () => {
  it.each([
    'MESSAGE_TOO_LARGE',
    'RECORD_LIST_TOO_LARGE',
    'INVALID_TOPIC_EXCEPTION',
    'INVALID_RECORD',
    'CORRUPT_MESSAGE',
  ])('treats protocol error %s as permanent', (type) => {
    expect(isPermanentPublishError(protocolError(type))).toBe(true);
  });

  it('finds a permanent protocol error wrapped in retries-exceeded', () => {
    expect(isPermanentPublishError(retriesExceeded(protocolError('MESSAGE_TOO_LARGE')))).toBe(true);
  });

  it("treats availability protocol errors as not the record's fault", () => {
    expect(isPermanentPublishError(protocolError('LEADER_NOT_AVAILABLE'))).toBe(false);
  });

  it('treats an unavailable broker as transient', () => {
    expect(isPermanentPublishError(retriesExceeded(connectionError))).toBe(false);
  });
});

describe('classifyPublishError', () => {
  it.each([
    'KafkaJSConnectionError',
    'KafkaJSConnectionClosedError',
    'KafkaJSRequestTimeoutError',
    'KafkaJSBrokerNotFound',
    'KafkaJSNoBrokerAvailableError',
    'KafkaJSMetadataNotLoaded',
    'KafkaJSTopicMetadataNotLoaded',
    'KafkaJSLockTimeout',
    'KafkaJSSASLAuthenticationError',
  ])('blames the broker, not the row, for %s (even wrapped in retries-exceeded)', (name) => {
    expect(classifyPublishError(retriesExceeded({ name, message: name }))).toBe('unavailable');
  });

  it.each([
    'LEADER_NOT_AVAILABLE',
    'NOT_LEADER_FOR_PARTITION',
    'NOT_LEADER_OR_FOLLOWER',
    'REQUEST_TIMED_OUT',
    'NOT_ENOUGH_REPLICAS',
    'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
    'GROUP_COORDINATOR_NOT_AVAILABLE',
    'GROUP_LOAD_IN_PROGRESS',
    'NOT_COORDINATOR_FOR_GROUP',
    'TOPIC_AUTHORIZATION_FAILED',
    'CLUSTER_AUTHORIZATION_FAILED',
    'SASL_AUTHENTICATION_FAILED',
    'UNKNOWN_TOPIC_OR_PARTITION',
  ])('blames the broker (availability or misconfiguration), not the row, for protocol error %s', (type) => {
    expect(classifyPublishError(retriesExceeded(protocolError(type)))).toBe('unavailable');
  });

  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'])(
    'blames the record for %s',
    (type) => {
      expect(classifyPublishError(protocolError(type))).toBe('record');
    },
  );

  it('blames the record when it cannot be serialised', () => {
    let error: unknown;
    try {
      JSON.stringify({ n: 1n });
    } catch (caught) {
      error = caught;
    }
    expect(classifyPublishError(error)).toBe('record');
  });

  it('blames the broker link when kafkajs says its producer is disconnected', () => {
    expect(classifyPublishError({ name: 'KafkaJSError', message: 'The producer is disconnected' })).toBe('unavailable');
  });

  it('leaves errors it does not know to per-row isolation', () => {
    expect(classifyPublishError(protocolError('POLICY_VIOLATION'))).toBe('unknown');
    expect(classifyPublishError(new Error('boom'))).toBe('unknown');
  });
});

describe('describeError', () => {
  it('names every link of the chain, outermost first, with protocol types', () => {
    expect(describeError(retriesExceeded(protocolError('MESSAGE_TOO_LARGE')))).toBe(
      'KafkaJSNumberOfRetriesExceeded: retries exceeded <- KafkaJSProtocolError: MESSAGE_TOO_LARGE: protocol error MESSAGE_TOO_LARGE',
    );
  });

  it('describes a plain Error by name and message', () => {
    expect(describeError(new Error('disk full'))).toBe('Error: disk full');
  });

  it('mentions a repeated link only once', () => {
    expect(describeError(retriesExceeded(retriesExceeded(connectionError)))).toBe(
      'KafkaJSNumberOfRetriesExceeded: retries exceeded <- KafkaJSConnectionError: Connection error: ECONNREFUSED',
    );
  });

  it('stops on a cyclic chain instead of looping', () => {
    const cyclic: { name: string; message: string; cause?: unknown } = { name: 'KafkaJSError', message: 'loop' };
    cyclic.cause = cyclic;
    expect(describeError(cyclic)).toBe('KafkaJSError: loop');
  });
});

describe("classification of errors built with kafkajs's own classes", () => {
  it('sees an unavailable broker behind KafkaJSNumberOfRetriesExceeded, which chains through `cause`', () => {
    const error = connectionRefused();
    expect(isBrokerUnavailable(error)).toBe(true);
    expect(isPermanentPublishError(error)).toBe(false);
  });

  it('sees a permanent MESSAGE_TOO_LARGE behind KafkaJSNonRetriableError', () => {
    const error = messageTooLarge();
    expect(isPermanentPublishError(error)).toBe(true);
    expect(isBrokerUnavailable(error)).toBe(false);
  });
});

describe('stale idempotent-producer state (after a broker restart)', () => {
  it.each(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])(
    '%s pauses the relay without blaming a record, and asks for a new producer',
    (type) => {
      expect(classifyPublishError(retriesExceeded(protocolError(type)))).toBe('unavailable');
      expect(needsNewProducer(retriesExceeded(protocolError(type)))).toBe(true);
    },
  );

  it('is recognised as kafkajs wraps it, and not confused with an outage', () => {
    expect(needsNewProducer(outOfOrderSequence())).toBe(true);
    expect(needsNewProducer(connectionRefused())).toBe(false);
  });
});
