import { createResponseBudget, jsonBytes } from '../../src/resolvers/response-budget';

describe('response budget', () => {
  it('sizes a string as JSON.stringify renders it in UTF-8, escapes included, at most', () => {
    for (const text of ['plain', 'quote " and \\ slash', 'é ü 中文 🎉', '\u0001\u0002\u001f', '']) {
      expect(jsonBytes(text)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(text)));
    }
    expect(jsonBytes('\u0001'.repeat(32_000))).toBe(Buffer.byteLength(JSON.stringify('\u0001'.repeat(32_000))));
    expect(jsonBytes('abc')).toBe(5);
  });

  it('fails with RESPONSE_TOO_LARGE once the total passes the limit, and on every later charge', () => {
    const budget = createResponseBudget(100);
    budget.charge(60);
    budget.charge(40);
    expect(() => budget.charge(1)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
    expect(() => budget.charge(0)).toThrow(expect.objectContaining({ code: 'RESPONSE_TOO_LARGE' }));
  });
});
