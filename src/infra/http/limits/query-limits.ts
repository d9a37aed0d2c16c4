import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Page size assumed for a list field whose `first` is not given (or is a variable left unset). */
const DEFAULT_PAGE = 50;

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
}

interface Walk {
  fragments: Record<string, FragmentDefinitionNode>;
  /** A variable's page size. */
  pageOf: (variable: string) => number;
  /** Each fragment is measured once per walk: spreading one twice in each of 40 nested fragments would otherwise take 2^40 steps. */
  measured: Map<string, { depth: number; cost: number }>;
}

/**
 * A page size as a cost multiplier: at least 1. A zero or negative size is refused by the
 * resolvers anyway, but as a multiplier it would make the query's cost small or negative
 * and let the rest of the operation through.
 */
const multiplier = (size: number) => (Number.isFinite(size) ? Math.max(1, size) : Number.POSITIVE_INFINITY);

const firstArgument = (field: FieldNode, walk: Walk): number | undefined => {
  const arg = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return multiplier(Number(arg.value.value));
  if (arg.value.kind === Kind.VARIABLE) return multiplier(walk.pageOf(arg.value.name.value));
  return DEFAULT_PAGE;
};

/** Depth and cost of a selection set; fragments are expanded, cycles are cut (validation reports them). */
const measure = (set: SelectionSetNode, walk: Walk, seen: Set<string>): { depth: number; cost: number } => {
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    let inner: { depth: number; cost: number } = { depth: 0, cost: 0 };
    if (selection.kind === Kind.FIELD) {
      const child = selection.selectionSet ? measure(selection.selectionSet, walk, seen) : { depth: 0, cost: 0 };
      const multiplier = selection.selectionSet ? (firstArgument(selection, walk) ?? 1) : 1;
      inner = { depth: child.depth + 1, cost: 1 + multiplier * child.cost };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, walk, seen);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments[name];
      const known = walk.measured.get(name);
      if (known) inner = known;
      else if (fragment && !seen.has(name)) {
        inner = measure(fragment.selectionSet, walk, new Set([...seen, name]));
        walk.measured.set(name, inner);
      }
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
};

/**
 * A variable's page size: the request's value, else the operation's default, else what the
 * resolvers default to. Without the request's variables (validation runs before they are
 * known, and is cached per document) a variable counts as 1, a lower bound:
 * `variableCostError` re-checks with the real values before anything executes.
 */
const pageSizes = (operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) => (name: string): number => {
  if (!variables) return 1;
  const value = variables[name];
  if (typeof value === 'number') return value;
  const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
  return value === undefined && fallback?.kind === Kind.INT ? Number(fallback.value) : DEFAULT_PAGE;
};

const fragmentsOf = (document: DocumentNode) =>
  Object.fromEntries(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));

const measureOperation = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) =>
  measure(operation.selectionSet, { fragments: fragmentsOf(document), pageOf: pageSizes(operation, variables), measured: new Map() }, new Set());

const costError = (cost: number, limits: QueryLimits, node?: ASTNode) =>
  new GraphQLError(`query cost ${cost} exceeds the limit of ${limits.maxCost}`, { ...(node ? { nodes: [node] } : {}), extensions: { code: 'QUERY_TOO_COSTLY', http: { status: 400 } } });

/**
 * Rejects operations nested deeper than `maxDepth` (QUERY_TOO_DEEP) or whose estimated cost —
 * one per field, multiplied by page size under paginated fields, `first: $n` counted at
 * `$n` — exceeds `maxCost` (QUERY_TOO_COSTLY), before anything executes. Validation sees no
 * variables (and its outcome is cached per document), so a variable page size counts as 1
 * here; `variableCostError` finishes the job per request.
 */
export const queryLimitsRule =
  (limits: QueryLimits): ValidationRule =>
  (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const { depth, cost } = measureOperation(context.getDocument(), operation, undefined);
      if (depth > limits.maxDepth) {
        context.reportError(new GraphQLError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, { nodes: [operation], extensions: { code: 'QUERY_TOO_DEEP' } }));
      } else if (cost > limits.maxCost) {
        context.reportError(costError(cost, limits, operation));
      }
    },
  });

/**
 * The exact cost of an operation that takes variables, once they are known; validation (which
 * may be cached per document, as Apollo does) counted each variable page size as 1.
 */
export const variableCostError = (limits: QueryLimits, document: DocumentNode, operation: OperationDefinitionNode | null | undefined, variables: Record<string, unknown> | undefined) => {
  if (!operation?.variableDefinitions?.length) return undefined;
  const { cost } = measureOperation(document, operation, variables ?? {});
  return cost > limits.maxCost ? costError(cost, limits, operation) : undefined;
};

/**
 * The cost check with the request's variables, for Apollo: its validation rules see no
 * variables, so `first: $n` is measured here, once the operation is resolved and before it
 * executes. Without this, a page size passed as a variable would cost 1.
 */
export const queryCostPlugin = <TContext extends object>(limits: QueryLimits): ApolloServerPlugin<TContext> => ({
  async requestDidStart() {
    return {
      async didResolveOperation({ document, operation, request }) {
        const error = variableCostError(limits, document, operation, request.variables);
        if (error) throw error;
      },
    };
  },
});
