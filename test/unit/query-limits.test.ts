import { buildSchema, getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { measureRequest, queryLimitsRules } from '../../src/server/limits/query-limits';

const schema = buildSchema(`
  type Item { id: ID! content: String! items(first: Int): [Item!]! }
  type Query { items(first: Int): [Item!]! item: Item messages(first: Int): [Item!]! }
`);
// Text fields at 1,000 characters: 6,000 bytes each as JSON at worst, 2,000 held per loaded row.
const LIMITS = { maxDepth: 6, maxCost: 1_000, maxAliases: 3, maxResponseBytes: 100_000, maxContentChars: 1_000 };
const codesOf = (query: string) =>
  validate(schema, parse(query), [...specifiedRules, ...queryLimitsRules(LIMITS)]).map(
    (e) => e.extensions['code'] ?? e.message,
  );
const variableCost = (query: string, variables: Record<string, unknown>) => {
  const document = parse(query);
  return measureRequest(LIMITS, document, getOperationAST(document), variables).error?.extensions['code'];
};

// 1 + 100 × (1 + 100 × 2) = 20,101: far over the limit on its own.
const COSTLY = 'items(first: 100) { items(first: 100) { id } }';

describe('query limits', () => {
  it('rejects a costly selection', () => {
    expect(codesOf(`{ ${COSTLY} }`)).toEqual(['QUERY_TOO_COSTLY']);
  });

  it('does not let a negative literal page size cancel the cost of the rest', () => {
    expect(codesOf(`{ a: ${COSTLY} b: items(first: -2000000000) { items(first: 100) { id } } }`)).toEqual([
      'QUERY_TOO_COSTLY',
    ]);
  });

  it('does not let a negative variable page size cancel the cost of the rest', () => {
    const query = `query($neg: Int!, $p: Int!) { a: items(first: $p) { items(first: $p) { id } } b: items(first: $neg) { items(first: $p) { id } } }`;
    expect(variableCost(query, { neg: -2_000_000_000, p: 100 })).toBe('QUERY_TOO_COSTLY');
    expect(variableCost(query, { neg: 1, p: 2 })).toBeUndefined();
  });

  it('measures a document of fragments spread twice in 40 levels in linear time, and still counts every spread', () => {
    const fragments = [
      'fragment F0 on Query { item { id } }',
      ...Array.from({ length: 40 }, (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} }`),
    ];
    // Each level doubles the cost: 2^40 × 2 is far over the limit, and must be found without walking 2^40 spreads.
    expect(codesOf(`{ ...F40 } ${fragments.join(' ')}`)).toEqual(['QUERY_TOO_COSTLY']);
    // Three levels: 2^3 × (item 1 + id 1) = 16, well under it.
    expect(codesOf(`{ ...F3 } ${fragments.slice(0, 4).join(' ')}`)).toEqual([]);
  });

  it('counts each text field at the content limit as JSON, times the page size', () => {
    // 16 × 6,000 = 96,000 bytes: under 100,000; 17 × 6,000 = 102,000: over.
    expect(codesOf('{ items(first: 16) { content } }')).toEqual([]);
    expect(codesOf('{ items(first: 17) { content } }')).toEqual(['RESPONSE_TOO_LARGE']);
  });

  it('counts the rows a message list loads even when no text is selected', () => {
    // 51 rows × 2,000 held bytes = 102,000.
    expect(codesOf('{ messages(first: 50) { id } }')).toEqual([]);
    expect(codesOf('{ messages(first: 51) { id } }')).toEqual(['RESPONSE_TOO_LARGE']);
  });

  it('counts aliases and fragments of a text field like the field itself', () => {
    const aliased = '{ a: items(first: 9) { content } b: items(first: 9) { content } }';
    expect(codesOf(aliased)).toEqual(['RESPONSE_TOO_LARGE']);
    const fragments =
      '{ items(first: 9) { ...T ...U } } fragment T on Item { content } fragment U on Item { again: content }';
    expect(codesOf(fragments)).toEqual(['RESPONSE_TOO_LARGE']);
  });

  it('costs the bytes of a variable page size at its value', () => {
    const query = 'query($n: Int) { items(first: $n) { content } }';
    expect(codesOf(query)).toEqual([]);
    expect(variableCost(query, { n: 17 })).toBe('RESPONSE_TOO_LARGE');
    expect(variableCost(query, { n: 2 })).toBeUndefined();
  });

  it('refuses more aliases than the limit with TOO_MANY_ALIASES (graphql-armor), in fragments too', () => {
    expect(codesOf('{ a: item { id } b: item { id } c: item { id } }')).toEqual([]);
    expect(codesOf('{ a: item { id } b: item { id } c: item { id } d: item { id } }')).toEqual(['TOO_MANY_ALIASES']);
    expect(codesOf('{ a: item { ...F } b: item { id } } fragment F on Item { x: id y: id }')).toEqual([
      'TOO_MANY_ALIASES',
    ]);
  });

  it('refuses depth over the limit with QUERY_TOO_DEEP, fragments not counted as levels', () => {
    expect(codesOf('{ items { items { items { items { items { id } } } } } }')).toEqual([]);
    expect(codesOf('{ items { items { items { items { items { items { id } } } } } } }')).toEqual(['QUERY_TOO_DEEP']);
    expect(codesOf('{ items { ...F } } fragment F on Item { items { items { items { items { id } } } } }')).toEqual([]);
  });
});
