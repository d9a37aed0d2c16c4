import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { queryLimitsRule, type QueryLimits } from './query-limits';

export type Validated = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/**
 * Bounds on what is remembered: a client sending ever-new documents must not grow memory. An AST
 * with its locations is many times its text, so the bound is on text: 8 KiB per document, 128 KiB
 * in all (clients send the same few short documents, a chatStream subscription is ~300 characters).
 */
const MAX_QUERY_CHARS = 8_192;
const MAX_TOTAL_CHARS = 131_072;

/**
 * Parse and validate (the spec's rules, depth, and cost with variable page sizes counted as 1)
 * per distinct query text, remembering valid documents in a small LRU: graphql-ws would otherwise
 * do both for every subscription, while clients send the same few documents again and again.
 * Invalid documents are not remembered (nobody sends them twice on purpose). The outcome does
 * not depend on variables; their exact cost is checked per request (`variableCostError`).
 */
export const createValidatedDocuments = (schema: GraphQLSchema, limits: QueryLimits) => {
  const rules = [...specifiedRules, queryLimitsRule(limits)];
  const cache = new Map<string, Validated>();
  let totalChars = 0;
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
    if (result.errors || query.length > MAX_QUERY_CHARS) return result;
    cache.set(query, result);
    totalChars += query.length;
    for (const oldest of cache.keys()) {
      if (totalChars <= MAX_TOTAL_CHARS) break;
      cache.delete(oldest);
      totalChars -= oldest.length;
    }
    return result;
  };
};
