import type { GraphQLResolveInfo } from 'graphql';
import type { ConversationQueries, MessageView, Page } from '../../src/domain/chat/views';
import type { GraphQLContext } from '../../src/resolvers/context';
import { createResponseBudget, jsonBytes } from '../../src/resolvers/response-budget';
import { conversationResolvers } from '../../src/resolvers/types/conversation.resolver';
import { deferred } from '../support/eventually';

// Rows of text at 1,000 characters are reserved at 6,000 bytes each (JSON at worst): 16 fit in 100,000.
const LIMITS = { maxBytes: 100_000, maxContentChars: 1_000 };

describe('response budget', () => {
  it('sizes a string as JSON.stringify renders it in UTF-8, escapes included, at most', () => {
    for (const text of ['plain', 'quote " and \\ slash', 'é ü 中文 🎉', '\u0001\u0002\u001f', '']) {
      expect(jsonBytes(text)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(text)));
    }
    expect(jsonBytes('\u0001'.repeat(32_000))).toBe(Buffer.byteLength(JSON.stringify('\u0001'.repeat(32_000))));
    expect(jsonBytes('abc')).toBe(5);
  });

  it('reserves rows at the content limit before they load, and refuses with RESPONSE_TOO_LARGE past the limit', () => {
    const budget = createResponseBudget(LIMITS);
    budget.reserveRows(10);
    budget.reserveRows(6);
    expect(() => budget.reserveRows(1)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
  });

  it('gives back what a page did not use once settled to its real size', () => {
    const budget = createResponseBudget(LIMITS);
    budget.reserveRows(10)(500);
    // 500 + 16 × 6,000 = 96,500: fits now that the first page holds its 500 bytes, not 60,000.
    expect(() => budget.reserveRows(16)).not.toThrow();
  });

  it('settles a page longer than its reservation to its real size, refused when that passes the limit', () => {
    const budget = createResponseBudget(LIMITS);
    const settle = budget.reserveRows(2);
    // An assistant's reply is not bound by the content limit: 120,000 bytes of one loaded row.
    expect(() => settle(120_000)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
  });

  it('refuses every later reservation once one was refused, so siblings stop loading', () => {
    const budget = createResponseBudget(LIMITS);
    budget.reserveRows(10)(600);
    expect(() => budget.reserveRows(17)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
    expect(() => budget.reserveRows(1)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
  });
});

describe('Conversation.messages and the response budget', () => {
  const row = (seq: number): MessageView => ({
    id: `m${seq}`,
    seq,
    role: 'user',
    content: 'hi',
    reasoning: null,
    model: null,
    promptTokens: null,
    completionTokens: null,
    partial: false,
    createdAt: new Date(0),
  });

  it('reserves a page before loading it: parallel siblings cannot all load before any is counted', async () => {
    const pending = deferred<Page<MessageView>>();
    const loads: number[] = [];
    const queries = {
      messages: async (input: { first: number }) => {
        loads.push(input.first);
        return pending.promise;
      },
    } as unknown as ConversationQueries;
    const { messages } = conversationResolvers(queries) as { messages: (...args: unknown[]) => Promise<unknown> };
    const context = { responseBudget: createResponseBudget(LIMITS) } as unknown as GraphQLContext;
    const info = {} as GraphQLResolveInfo;
    // Two aliases of 10 rows each, resolved together as graphql-js resolves siblings: 10 × 6,000 fits, 20 × 6,000 does not.
    const first = messages({ id: 'c' }, { first: 10 }, context, info);
    const second = messages({ id: 'c' }, { first: 10 }, context, info);
    // Each call runs up to its load synchronously: the second was refused before it started one.
    expect(loads).toEqual([10]);
    await expect(second).rejects.toMatchObject({ code: 'RESPONSE_TOO_LARGE' });
    pending.resolve({ items: [row(1), row(2)], hasNextPage: false });
    await expect(first).resolves.toMatchObject({ edges: [{ node: { id: 'm1' } }, { node: { id: 'm2' } }] });
  });
});
