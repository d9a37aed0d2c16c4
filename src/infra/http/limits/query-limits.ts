import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Default page size assumed for a list field whose `first` is not given. */
const DEFAULT_PAGE = 50;

interface Walk {
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

const firstArgument = (field: FieldNode, walk: Walk): number | undefined => {
  const arg = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  if (!arg) return undefined;
  if (arg.value.kind === Kind.INT) return Number(arg.value.value);
  if (arg.value.kind === Kind.VARIABLE) {
    const value = walk.variables[arg.value.name.value];
    return typeof value === 'number' ? value : DEFAULT_PAGE;
  }
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
      const fragment = walk.fragments[selection.name.value];
      if (fragment && !seen.has(fragment.name.value)) inner = measure(fragment.selectionSet, walk, new Set([...seen, fragment.name.value]));
    }
    depth = Math.max(depth, inner.depth);
    cost += inner.cost;
  }
  return { depth, cost };
};

/**
 * Rejects operations nested deeper than `maxDepth` (QUERY_TOO_DEEP) or whose estimated cost —
 * one per field, multiplied by page size under paginated fields — exceeds `maxCost`
 * (QUERY_TOO_COSTLY), before anything executes.
 */
export const queryLimitsRule =
  (limits: { maxDepth: number; maxCost: number }, variables: Record<string, unknown> = {}): ValidationRule =>
  (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = Object.fromEntries(context.getDocument().definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
      const { depth, cost } = measure(operation.selectionSet, { fragments, variables }, new Set());
      if (depth > limits.maxDepth) {
        context.reportError(new GraphQLError(`query depth ${depth} exceeds the limit of ${limits.maxDepth}`, { nodes: [operation], extensions: { code: 'QUERY_TOO_DEEP' } }));
      } else if (cost > limits.maxCost) {
        context.reportError(new GraphQLError(`query cost ${cost} exceeds the limit of ${limits.maxCost}`, { nodes: [operation], extensions: { code: 'QUERY_TOO_COSTLY' } }));
      }
    },
  });
