import { describeError, isBrokerUnavailable, isPermanentPublishError } from '../../src/infra/kafka/kafka-errors';
import { connectionRefused, messageTooLarge } from '../support/fakes/fake-kafka-producer';

/** Error objects shaped like kafkajs's: a name, sometimes a protocol type, and a wrapped cause. */
const connectionError = { name: 'KafkaJSConnectionError', message: 'Connection error: ECONNREFUSED' };
const retriesExceeded = (originalError: object) => ({ name: 'KafkaJSNumberOfRetriesExceeded', message: 'retries exceeded', originalError });
const protocolError = (type: string) => ({ name: 'KafkaJSProtocolError', type, message: `protocol error ${type}` });

describe('isBrokerUnavailable', () => {
  it('sees a connection error wrapped in retries-exceeded', () => {
    expect(isBrokerUnavailable(retriesExceeded(connectionError))).toBe(true);
  });

  it.each(['KafkaJSConnectionClosedError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSMetadataNotLoaded', 'KafkaJSLockTimeout'])(
    'treats %s as the broker being unavailable',
    (name) => {
      expect(isBrokerUnavailable({ name })).toBe(true);
    },
  );

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
  it.each(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_TOPIC_EXCEPTION', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'TOPIC_AUTHORIZATION_FAILED'])(
    'treats protocol error %s as permanent',
    (type) => {
      expect(isPermanentPublishError(protocolError(type))).toBe(true);
    },
  );

  it('finds a permanent protocol error wrapped in retries-exceeded', () => {
    expect(isPermanentPublishError(retriesExceeded(protocolError('MESSAGE_TOO_LARGE')))).toBe(true);
  });

  it('treats retriable protocol errors as transient', () => {
    expect(isPermanentPublishError(protocolError('LEADER_NOT_AVAILABLE'))).toBe(false);
  });

  it('treats an unavailable broker as transient', () => {
    expect(isPermanentPublishError(retriesExceeded(connectionError))).toBe(false);
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
    expect(describeError(retriesExceeded(retriesExceeded(connectionError)))).toBe('KafkaJSNumberOfRetriesExceeded: retries exceeded <- KafkaJSConnectionError: Connection error: ECONNREFUSED');
  });

  it('stops on a cyclic chain instead of looping', () => {
    const cyclic: { name: string; message: string; cause?: unknown } = { name: 'KafkaJSError', message: 'loop' };
    cyclic.cause = cyclic;
    expect(describeError(cyclic)).toBe('KafkaJSError: loop');
  });
});

describe('classification of errors built with kafkajs\'s own classes', () => {
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
