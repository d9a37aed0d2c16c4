import { buildSchema } from 'graphql';
import { createValidatedDocuments } from '../../src/server/limits/validated-documents';

const schema = buildSchema(`
  type Item { id: ID! items(first: Int): [Item!]! }
  type Query { items(first: Int): [Item!]! }
`);
const LIMITS = {
  maxDepth: 3,
  maxCost: 100,
  maxAliases: 5,
  maxResponseBytes: 1_000_000,
  maxContentChars: 1_000,
  maxTokens: 40,
  sandbox: false,
};

describe('validated documents (WebSocket parse + validate, remembered per query text)', () => {
  it('hands back the same parsed document for the same text instead of parsing it again', () => {
    const validated = createValidatedDocuments(schema, LIMITS);
    const first = validated('{ items { id } }');
    expect(first.errors).toBeUndefined();
    expect(validated('{ items { id } }').document).toBe(first.document);
  });

  it('reports syntax, schema and limit errors, without remembering them', () => {
    const validated = createValidatedDocuments(schema, LIMITS);
    expect(validated('{ items {').errors?.[0]?.message).toMatch(/Syntax Error/);
    expect(validated('{ nope }').errors?.[0]?.message).toMatch(/Cannot query field "nope"/);
    const deep = '{ items { items { items { items { id } } } } }';
    expect(validated(deep).errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_DEEP' });
    expect(validated(deep).errors).not.toBe(validated(deep).errors);
  });

  it('counts a variable page size as 1 here, leaving the exact cost to the per-request check', () => {
    const validated = createValidatedDocuments(schema, LIMITS);
    expect(validated('query($n: Int) { items(first: $n) { id } }').errors).toBeUndefined();
    expect(validated('{ items(first: 500) { id } }').errors?.[0]?.extensions).toMatchObject({
      code: 'QUERY_TOO_COSTLY',
    });
  });

  it('forgets the least recently used documents beyond 128 KiB of text, and never keeps one over 8 KiB', () => {
    const validated = createValidatedDocuments(schema, LIMITS);
    // 4 KiB each: 32 of them fill the budget.
    const text = (i: number) => {
      const head = `query Q${i} { items { id } } #`;
      return head + 'x'.repeat(4_096 - head.length);
    };
    const documents = [validated(text(0)).document];
    for (let i = 1; i <= 32; i += 1) {
      documents.push(validated(text(i)).document);
      if (i === 20) validated(text(0)); // used again: no longer the least recently used
    }
    // 33 documents seen, room for 32: Q1 went, Q0 (used at 20) and Q2 stayed.
    expect(validated(text(0)).document).toBe(documents[0]);
    expect(validated(text(2)).document).toBe(documents[2]);
    expect(validated(text(1)).document).not.toBe(documents[1]); // parsed again (and Q3 goes instead)
    const long = `{ items { id } } # ${'x'.repeat(9_000)}`;
    expect(validated(long).document).not.toBe(validated(long).document);
  });

  it('refuses a document over the token limit while parsing, coded GRAPHQL_PARSE_FAILED', () => {
    const validated = createValidatedDocuments(schema, LIMITS);
    const long = `{ ${Array.from({ length: 40 }, () => 'id').join(' ')} }`;
    const [error] = validated(`{ items ${long.replace('{', '{ items {')} }`).errors ?? [];
    expect(error?.message).toMatch(/more tha[nt] 40 tokens/);
    expect(error?.extensions['code']).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses introspection and hides "did you mean" unless sandboxed', () => {
    const closed = createValidatedDocuments(schema, LIMITS);
    expect(closed('{ __schema { queryType { name } } }').errors?.[0]?.message).toMatch(/introspection/i);
    expect(closed('{ itemz { id } }').errors?.[0]?.message).not.toMatch(/Did you mean/);
    const open = createValidatedDocuments(schema, { ...LIMITS, sandbox: true });
    expect(open('{ __schema { queryType { name } } }').errors).toBeUndefined();
    expect(open('{ itemz { id } }').errors?.[0]?.message).toMatch(/Did you mean "items"/);
  });
});
