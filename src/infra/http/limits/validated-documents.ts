import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { queryLimitsRule, type QueryLimits } from './query-limits';

export type Validated = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/** Bounds on what is remembered: a client sending ever-new large documents must not grow memory. */
const MAX_ENTRIES = 256;
const MAX_QUERY_CHARS = 8_192;

/**
 * Parse and validate (the spec's rules, depth, and cost with variable page sizes counted as 1)
 * per distinct query text, remembered in a small LRU: graphql-ws would otherwise do both for
 * every subscription, while clients send the same few documents again and again. The outcome
 * does not depend on variables; their exact cost is checked per request (`variableCostError`).
 */
export const createValidatedDocuments = (schema: GraphQLSchema, limits: QueryLimits) => {
  const rules = [...specifiedRules, queryLimitsRule(limits)];
  const cache = new Map<string, Validated>();
  const compute = (query: string): Validated => {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      throw error;
    }
    const errors = validate(schema, document, rules);
    return errors.length > 0 ? { errors } : { document };
  };
  return (query: string): Validated => {
    const hit = cache.get(query);
    if (hit) {
      // Refresh its place: Map keeps insertion order, so the first key is the least recently used.
      cache.delete(query);
      cache.set(query, hit);
      return hit;
    }
    const result = compute(query);
    if (query.length <= MAX_QUERY_CHARS) {
      cache.set(query, result);
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    }
    return result;
  };
};
