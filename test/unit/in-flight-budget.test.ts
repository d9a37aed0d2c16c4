import { buildSchema, getOperationAST, parse } from 'graphql';
import { createInFlightBudget } from '../../src/server/limits/in-flight-budget';
import { inFlightError, queryCostPlugin } from '../../src/server/limits/query-limits';
import { toGraphQLError } from '../../src/server/errors/to-graphql-error';
import { loadTypeDefs } from '../../src/schema/type-defs';
import { createRecordingLogger } from '../support/fakes/recording-logger';

// A page of 10 texts: 10 × (6,000 + 2,000) = 80,000 bytes of a 100,000 budget; two do not fit at once.
const LIMITS = { maxDepth: 10, maxCost: 10_000, maxAliases: 15, maxResponseBytes: 100_000, maxContentChars: 1_000 };
const PAGE = parse('{ conversation(id: "c") { messages(first: 10) { edges { node { content } } } } }');

describe('response data in flight per user', () => {
  it('lets a user hold up to the limit at once, always one operation, and gives it back on release', () => {
    const budget = createInFlightBudget(100);
    const first = budget.reserve('u', 80);
    expect(first).toBeDefined();
    expect(budget.reserve('u', 30)).toBeUndefined();
    expect(budget.reserve('other', 80)).toBeDefined();
    expect(budget.reserve('u', 20)).toBeDefined();
    first?.();
    first?.();
    expect(budget.reserve('u', 80)).toBeDefined();
    expect(createInFlightBudget(100).reserve('big', 500)).toBeDefined();
  });

  it('refuses a second copy of a large query with RATE_LIMITED while the first is in flight (Apollo plugin)', async () => {
    const plugin = queryCostPlugin<{ principal: { userId: string } }>(
      LIMITS,
      createInFlightBudget(LIMITS.maxResponseBytes),
    );
    const start = async (userId: string) => {
      const hooks = (await plugin.requestDidStart!({} as never))!;
      const resolve = () =>
        hooks.didResolveOperation!({
          schema: buildSchema(loadTypeDefs().join('\n')),
          document: PAGE,
          operation: getOperationAST(PAGE),
          request: {},
          contextValue: { principal: { userId } },
        } as never);
      return { resolve, done: () => hooks.willSendResponse!({} as never) };
    };
    const first = await start('u');
    await first.resolve();
    const second = await start('u');
    await expect(second.resolve()).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await second.done();
    await (await start('someone-else')).resolve();
    await first.done();
    const third = await start('u');
    await expect(third.resolve()).resolves.toBeUndefined();
  });

  it('reaches the client as RATE_LIMITED, not as an internal error', () => {
    const error = inFlightError(LIMITS);
    expect(toGraphQLError(error.toJSON(), error, createRecordingLogger()).extensions).toEqual({ code: 'RATE_LIMITED' });
  });
});
