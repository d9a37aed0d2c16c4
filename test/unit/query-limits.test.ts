import { buildSchema, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { queryLimitsRule, variableCostError } from '../../src/infra/http/limits/query-limits';

const schema = buildSchema(`
  type Item { id: ID! items(first: Int): [Item!]! }
  type Query { items(first: Int): [Item!]! item: Item }
`);
const LIMITS = { maxDepth: 6, maxCost: 1_000 };
const codesOf = (query: string) => validate(schema, parse(query), [...specifiedRules, queryLimitsRule(LIMITS)]).map((e) => e.extensions['code'] ?? e.message);
const variableCost = (query: string, variables: Record<string, unknown>) => {
  const document = parse(query);
  return variableCostError(LIMITS, document, getOperationAST(document), variables)?.extensions['code'];
};

// 1 + 100 × (1 + 100 × 2) = 20,101: far over the limit on its own.
const COSTLY = 'items(first: 100) { items(first: 100) { id } }';

describe('query limits', () => {
  it('rejects a costly selection', () => {
    expect(codesOf(`{ ${COSTLY} }`)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('does not let a negative literal page size cancel the cost of the rest', () => {
    expect(codesOf(`{ a: ${COSTLY} b: items(first: -2000000000) { items(first: 100) { id } } }`)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('does not let a negative variable page size cancel the cost of the rest', () => {
    const query = `query($neg: Int!, $p: Int!) { a: items(first: $p) { items(first: $p) { id } } b: items(first: $neg) { items(first: $p) { id } } }`;
    expect(variableCost(query, { neg: -2_000_000_000, p: 100 })).toBe('QUERY_TOO_COSTLY');
    expect(variableCost(query, { neg: 1, p: 2 })).toBeUndefined();
  });

  it('measures a document of fragments spread twice in 40 levels in linear time, and still counts every spread', () => {
    const fragments = ['fragment F0 on Query { item { id } }', ...Array.from({ length: 40 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`)];
    // Each level doubles the cost: 2^40 × 2 is far over the limit, and must be found without walking 2^40 spreads.
    expect(codesOf(`{ ...F40 } ${fragments.join(' ')}`)).toEqual(['QUERY_TOO_COSTLY']);
    // Three levels: 2^3 × (item 1 + id 1) = 16, well under it.
    expect(codesOf(`{ ...F3 } ${fragments.slice(0, 4).join(' ')}`)).toEqual([]);
  });
});
