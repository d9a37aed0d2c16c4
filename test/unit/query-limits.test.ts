import { buildSchema, getOperationAST, isObjectType, parse, specifiedRules, validate } from 'graphql';
import { declaredPageSize } from '../../src/resolvers/cursor';
import { measureRequest, queryLimitsRules } from '../../src/server/limits/query-limits';
import { loadTypeDefs } from '../../src/schema/type-defs';

// `few` and `messages` declare their default page size, as the service's paginated fields do.
const schema = buildSchema(`
  type Item { id: ID! content: String! items(first: Int): [Item!]! few(first: Int = 10): [Item!]! }
  type Query { items(first: Int): [Item!]! item: Item messages(first: Int = 50): [Item!]! few(first: Int = 10): [Item!]! }
`);
// Text fields at 1,000 characters: 6,000 bytes each as JSON at worst, 2,000 held per loaded row.
const LIMITS = { maxDepth: 6, maxCost: 1_000, maxAliases: 3, maxResponseBytes: 100_000, maxContentChars: 1_000 };
const codesOf = (query: string) =>
  validate(schema, parse(query), [...specifiedRules, ...queryLimitsRules(LIMITS)]).map(
    (e) => e.extensions['code'] ?? e.message,
  );
const variableCost = (query: string, variables: Record<string, unknown>) => {
  const document = parse(query);
  return measureRequest(LIMITS, schema, document, getOperationAST(document), variables).error?.extensions['code'];
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

  it('counts a list without `first` at the page size its SDL declares, not as one row', () => {
    // 50 rows × (2,000 held + 6,000 of text) = 400,000 bytes: the same as `first: 50`.
    expect(codesOf('{ messages { content } }')).toEqual(['RESPONSE_TOO_LARGE']);
    // Cost: 1 + 10 × (1 + 100) = 1,011 over 1,000; counted as one row it was 102.
    expect(codesOf('{ few { items(first: 100) { id } } }')).toEqual(['QUERY_TOO_COSTLY']);
    expect(codesOf('{ few { items(first: 98) { id } } }')).toEqual([]);
    // 10 rows × 6,000 = 60,000 bytes: under the limit; twice that is over.
    expect(codesOf('{ few { content } }')).toEqual([]);
    expect(codesOf('{ a: few { content } b: few { content } }')).toEqual(['RESPONSE_TOO_LARGE']);
  });

  it('reads the declared default through fragments, nested lists and an explicit null', () => {
    expect(codesOf('{ item { ...F } } fragment F on Item { a: few { content } b: few { content } }')).toEqual([
      'RESPONSE_TOO_LARGE',
    ]);
    expect(codesOf('{ item { ... on Item { a: few { content } b: few { content } } } }')).toEqual([
      'RESPONSE_TOO_LARGE',
    ]);
    expect(codesOf('{ few { few { content } } }')).toEqual(['RESPONSE_TOO_LARGE']);
    expect(codesOf('{ a: few(first: null) { content } b: few(first: null) { content } }')).toEqual([
      'RESPONSE_TOO_LARGE',
    ]);
  });

  it('costs a variable page size left unset or null at the declared default', () => {
    const query = 'query($n: Int) { a: few(first: $n) { content } b: few(first: $n) { content } }';
    expect(variableCost(query, {})).toBe('RESPONSE_TOO_LARGE');
    expect(variableCost(query, { n: null })).toBe('RESPONSE_TOO_LARGE');
    expect(variableCost(query, { n: 8 })).toBeUndefined();
    // One copy: 10 rows × 6,000 fits, where the old fixed guess of 50 rows refused it.
    expect(variableCost('query($n: Int) { few(first: $n) { content } }', {})).toBeUndefined();
  });

  it("costs the service's own lists without `first` as their declared defaults: 50 messages, 20 conversations", () => {
    const real = buildSchema(loadTypeDefs().join('\n'));
    const bytes = (query: string) => {
      const document = parse(query);
      return measureRequest(LIMITS, real, document, getOperationAST(document), {}).bytes;
    };
    const messages = (args: string) => `{ conversation(id: "c") { messages${args} { edges { node { content } } } } }`;
    expect(bytes(messages(''))).toBe(bytes(messages('(first: 50)')));
    expect(bytes(messages(''))).toBeGreaterThan(bytes(messages('(first: 49)')));
    const conversations = (args: string) =>
      `{ conversations${args} { edges { node { messages(first: 1) { edges { node { content } } } } } } }`;
    expect(bytes(conversations(''))).toBe(bytes(conversations('(first: 20)')));
    expect(bytes(conversations(''))).toBeGreaterThan(bytes(conversations('(first: 19)')));
  });

  it('finds a declared default page size on every paginated field of the schema', () => {
    const real = buildSchema(loadTypeDefs().join('\n'));
    const paginated = Object.values(real.getTypeMap())
      .filter(isObjectType)
      .flatMap((type) =>
        Object.values(type.getFields()).map((field) => ({ name: `${type.name}.${field.name}`, field })),
      )
      .filter(({ field }) => field.args.some((arg) => arg.name === 'first'));
    expect(paginated.map(({ name }) => name).sort()).toEqual([
      'Conversation.messages',
      'Query.conversations',
      'Query.outboxMessages',
    ]);
    for (const { field } of paginated) expect(declaredPageSize(field)).toEqual(expect.any(Number));
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
