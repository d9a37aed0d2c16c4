import type { GraphQLFormattedError } from 'graphql';

/** graphql-js's suggestion sentences: `Did you mean "model"?`, `Did you mean the enum value "WORKER"?`. */
const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * Removes "did you mean" from an error a client will see. graphql-js's own `hideSuggestions`
 * (WebSocket validation and execution) and Apollo's `hideSchemaDetailsFromClientErrors` (HTTP
 * validation) cover most; Apollo coerces variables without it, and graphql-armor's
 * block-field-suggestions misses enum values, so every formatted error passes here last.
 */
export const withoutSuggestions = (error: GraphQLFormattedError): GraphQLFormattedError => {
  const message = error.message.replace(SUGGESTION, '');
  return message === error.message ? error : { ...error, message };
};
