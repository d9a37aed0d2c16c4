import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import { queryLimitsRules, type QueryLimits } from './query-limits';

export interface DocumentPolicy extends QueryLimits {
  /** graphql-js counts tokens while parsing and stops past this many (GRAPHQL_PARSE_FAILED). */
  maxTokens: number;
  /** Introspection and "did you mean" suggestions allowed (development); off, the schema stays private. */
  sandbox: boolean;
}

export type Validated =
  { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

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
 * not depend on variables; their exact cost is checked per request (`measureRequest`).
 */
export const createValidatedDocuments = (schema: GraphQLSchema, policy: DocumentPolicy) => {
  // The same rules Apollo runs on HTTP: its `introspection: false` adds graphql-js's NoSchemaIntrospectionCustomRule too.
  const rules = [
    ...specifiedRules,
    ...queryLimitsRules(policy),
    ...(policy.sandbox ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  const options = { hideSuggestions: !policy.sandbox };
  const cache = new Map<string, Validated>();
  let totalChars = 0;
  const compute = (query: string): Validated => {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: policy.maxTokens });
    } catch (error) {
      // Coded here as Apollo codes it, so both transports answer a bad or oversized document alike.
      if (error instanceof GraphQLError)
        return {
          errors: [
            new GraphQLError(error.message, {
              nodes: error.nodes,
              source: error.source,
              positions: error.positions,
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ],
        };
      throw error;
    }
    const errors = validate(schema, document, rules, options);
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
