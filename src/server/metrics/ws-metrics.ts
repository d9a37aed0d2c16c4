import { getOperationAST, type ExecutionArgs } from 'graphql';
import { performance } from 'node:perf_hooks';
import type { GraphqlMetrics, OperationType } from './graphql-metrics';

interface Operation {
  startedAt: number;
  type?: OperationType;
  name?: string | undefined;
  /** A live subscription counted in the gauge; it is taken out exactly once. */
  open?: boolean;
}

interface Connection {
  counted: boolean;
  operations: Map<string, Operation>;
}

/**
 * graphql-ws hooks for the GraphQL metrics, keyed by the connection's `extra` object.
 * Queries and mutations are timed from subscribe to complete; a subscription's time to
 * subscribe is observed and it is counted in agent_relay_subscriptions_active until it
 * completes or its socket closes. graphql-ws skips onComplete for operations that fail
 * before executing, so those are dropped in onError, and close clears whatever is left.
 */
export const createWsMetrics = (metrics: GraphqlMetrics) => {
  const connections = new WeakMap<object, Connection>();
  const connection = (extra: object) => {
    let state = connections.get(extra);
    if (!state) connections.set(extra, (state = { counted: false, operations: new Map() }));
    return state;
  };
  const finish = (state: Connection, id: string) => {
    const op = state.operations.get(id);
    state.operations.delete(id);
    if (op?.open) metrics.subscriptionsActive.dec();
    else if (op?.type) metrics.observeOperation(op.type, op.name, (performance.now() - op.startedAt) / 1000);
  };
  return {
    connected(extra: object) {
      connection(extra).counted = true;
      metrics.wsConnectionsActive.inc();
    },
    subscribing(extra: object, id: string) {
      connection(extra).operations.set(id, { startedAt: performance.now() });
    },
    executed(extra: object, id: string, args: ExecutionArgs) {
      const op = connection(extra).operations.get(id);
      const ast = getOperationAST(args.document, args.operationName);
      if (!op || !ast) return;
      op.type = `${ast.operation}`;
      op.name = ast.name?.value;
      if (op.type !== 'subscription') return;
      metrics.observeOperation(op.type, op.name, (performance.now() - op.startedAt) / 1000);
      op.open = true;
      metrics.subscriptionsActive.inc();
    },
    /** An error before execution ends the operation without onComplete. */
    failed(extra: object, id: string) {
      const state = connection(extra);
      if (!state.operations.get(id)?.type) state.operations.delete(id);
    },
    completed(extra: object, id: string) {
      finish(connection(extra), id);
    },
    closed(extra: object) {
      const state = connections.get(extra);
      if (!state) return;
      for (const id of [...state.operations.keys()]) finish(state, id);
      if (state.counted) metrics.wsConnectionsActive.dec();
      connections.delete(extra);
    },
    countErrors: metrics.countErrors,
  };
};

export type WsMetrics = ReturnType<typeof createWsMetrics>;
