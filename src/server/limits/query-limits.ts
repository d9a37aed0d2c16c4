import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type ASTNode,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { declaredPageSize } from '../../resolvers/cursor';
import { JSON_BYTES_PER_CHAR } from '../../resolvers/response-budget';
import type { InFlightBudget } from './in-flight-budget';

/**
 * Text fields whose size is bounded only by the content limit: message text and reasoning, and an
 * outbox row's payload (which carries the message). Keyed by field name, not alias, so aliasing
 * one a hundred times costs a hundred times.
 */
const TEXT_FIELDS = new Set(['content', 'reasoning', 'payload']);
/** Lists whose rows are loaded whole (text included) whatever the selection asks of them. */
const ROW_LISTS = new Set(['messages', 'outboxMessages']);
/** A loaded row's text as V8 holds it (two bytes per UTF-16 unit). */
const HELD_BYTES_PER_CHAR = 2;

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxResponseBytes: number;
  /** The content limit: what one text field is assumed to hold when an operation is estimated. */
  maxContentChars: number;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  /** A variable's page size; undefined when the field's declared default applies (unset or null). */
  pageOf: (variable: string) => number | undefined;
  /** Each fragment is measured once per walk: spreading one twice in each of 40 nested fragments would otherwise take 2^40 steps. */
  measured: Map<string, Measure>;
  maxContentChars: number;
}

/** Fields (cost) and the response data an operation may make the API hold (bytes). */
interface Measure {
  cost: number;
  bytes: number;
}

/**
 * A page size as a cost multiplier: at least 1. A zero or negative size is refused by the
 * resolvers anyway, but as a multiplier it would make the query's cost small or negative
 * and let the rest of the operation through.
 */
const multiplier = (size: number) => (Number.isFinite(size) ? Math.max(1, size) : Number.POSITIVE_INFINITY);

const fieldOf = (parent: GraphQLNamedType | undefined, name: string) =>
  isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;

/**
 * How many rows a field returns: its `first` (or `limit`) argument; where that is absent, null
 * or a variable left unset, the page size the SDL declares for it, which is what graphql-js and
 * the resolvers then use (`declaredPageSize`). A field without either is one row.
 */
const rowsOf = (field: FieldNode, parent: GraphQLNamedType | undefined, walk: Walk): number => {
  const declared = declaredPageSize(fieldOf(parent, field.name.value));
  const arg = field.arguments?.find((a) => a.name.value === 'first' || a.name.value === 'limit');
  let size: number | undefined;
  if (arg?.value.kind === Kind.INT) size = Number(arg.value.value);
  else if (arg?.value.kind === Kind.VARIABLE) size = walk.pageOf(arg.value.name.value);
  return multiplier(size ?? declared ?? 1);
};

const measureField = (
  field: FieldNode,
  parent: GraphQLNamedType | undefined,
  walk: Walk,
  seen: Set<string>,
): Measure => {
  const name = field.name.value;
  if (!field.selectionSet)
    return { cost: 1, bytes: TEXT_FIELDS.has(name) ? walk.maxContentChars * JSON_BYTES_PER_CHAR : 0 };
  const type = fieldOf(parent, name)?.type;
  const child = measure(field.selectionSet, type && getNamedType(type), walk, seen);
  const times = rowsOf(field, parent, walk);
  const held = ROW_LISTS.has(name) ? times * walk.maxContentChars * HELD_BYTES_PER_CHAR : 0;
  return { cost: 1 + times * child.cost, bytes: held + times * child.bytes };
};

/** The type a fragment applies to; the enclosing type when it names none. */
const conditionOf = (
  condition: { name: { value: string } } | undefined,
  parent: GraphQLNamedType | undefined,
  walk: Walk,
) => (condition ? (walk.schema.getType(condition.name.value) ?? undefined) : parent);

/**
 * Cost and bytes of a selection set of `parent` (undefined where validation will report an
 * unknown field); fragments are expanded, cycles are cut (validation reports them).
 */
const measure = (
  set: SelectionSetNode,
  parent: GraphQLNamedType | undefined,
  walk: Walk,
  seen: Set<string>,
): Measure => {
  const total: Measure = { cost: 0, bytes: 0 };
  for (const selection of set.selections) {
    let inner: Measure = { cost: 0, bytes: 0 };
    if (selection.kind === Kind.FIELD) inner = measureField(selection, parent, walk, seen);
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      inner = measure(selection.selectionSet, conditionOf(selection.typeCondition, parent, walk), walk, seen);
    else {
      const name = selection.name.value;
      const fragment = walk.fragments[name];
      const known = walk.measured.get(name);
      if (known) inner = known;
      else if (fragment && !seen.has(name)) {
        const type = conditionOf(fragment.typeCondition, parent, walk);
        inner = measure(fragment.selectionSet, type, walk, new Set([...seen, name]));
        walk.measured.set(name, inner);
      }
    }
    total.cost += inner.cost;
    total.bytes += inner.bytes;
  }
  return total;
};

/**
 * A variable's page size: the request's value, else the operation's default, else undefined:
 * unset or null, the field's declared default applies (graphql-js treats an unset variable as an
 * absent argument, and the resolvers read null as the default). Without the request's variables
 * (validation runs before they are known, and is cached per document) a variable counts as 1, a
 * lower bound: `measureRequest` re-checks with the real values before anything executes.
 */
const pageSizes =
  (operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) =>
  (name: string): number | undefined => {
    if (!variables) return 1;
    const value = variables[name];
    if (typeof value === 'number') return value;
    const fallback = operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue;
    return value === undefined && fallback?.kind === Kind.INT ? Number(fallback.value) : undefined;
  };

const fragmentsOf = (document: DocumentNode) =>
  Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

const measureOperation = (
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
) =>
  measure(
    operation.selectionSet,
    schema.getRootType(operation.operation) ?? undefined,
    {
      schema,
      fragments: fragmentsOf(document),
      pageOf: pageSizes(operation, variables),
      measured: new Map(),
      maxContentChars: limits.maxContentChars,
    },
    new Set(),
  );

const limitError = (message: string, code: string, node?: ASTNode) =>
  new GraphQLError(message, { ...(node ? { nodes: [node] } : {}), extensions: { code, http: { status: 400 } } });

/** The first limit an operation's measure breaks: the byte budget before the field count, as it is the one that protects memory. */
const measureError = ({ cost, bytes }: Measure, limits: QueryLimits, node?: ASTNode) => {
  if (bytes > limits.maxResponseBytes) {
    return limitError(
      `the response could hold up to ${bytes} bytes, over the limit of ${limits.maxResponseBytes}; ask for fewer rows or text fields`,
      'RESPONSE_TOO_LARGE',
      node,
    );
  }
  return cost > limits.maxCost
    ? limitError(`query cost ${cost} exceeds the limit of ${limits.maxCost}`, 'QUERY_TOO_COSTLY', node)
    : undefined;
};

/**
 * graphql-armor's rules report through `onReject`; ours turn their verdict into the service's own
 * code (the library's default would be BAD_USER_INPUT for every limit).
 */
const reportAs = (code: string) => ({
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(limitError(error.message.replace(/^Syntax Error: /, ''), code)),
  ],
});

/**
 * Cost and byte budget of each operation, before anything executes: one per field, multiplied by
 * page size under paginated fields, `first: $n` counted at `$n`, no `first` at the field's declared
 * default (QUERY_TOO_COSTLY); and the bytes
 * it may make the API hold: each text field at the content limit as JSON (six bytes a character
 * at worst), each loaded row at its text (RESPONSE_TOO_LARGE). Validation sees no variables (and
 * its outcome is cached per document), so a variable page size counts as 1 here;
 * `measureRequest` finishes the job per request.
 */
const costRule =
  (limits: QueryLimits): ValidationRule =>
  (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const error = measureError(
        measureOperation(limits, context.getSchema(), context.getDocument(), operation, undefined),
        limits,
        operation,
      );
      if (error) context.reportError(error);
    },
  });

/**
 * Every limit on a document, for Apollo's `validationRules` and the WebSocket validator alike:
 * aliases (graphql-armor, TOO_MANY_ALIASES), depth (graphql-armor, fragments flattened,
 * QUERY_TOO_DEEP), then cost and response bytes (our own: graphql-armor's cost limit knows
 * neither page sizes nor text sizes).
 */
export const queryLimitsRules = (limits: QueryLimits): ValidationRule[] => [
  maxAliasesRule({ n: limits.maxAliases, ...reportAs('TOO_MANY_ALIASES') }),
  maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...reportAs('QUERY_TOO_DEEP') }),
  costRule(limits),
];

/**
 * An operation's cost and bytes with its request's variables, checked once more: validation
 * (cached per document, as Apollo does) counted each variable page size as 1. `bytes` is the
 * estimate a request reserves while it runs (`InFlightBudget`).
 */
export const measureRequest = (
  limits: QueryLimits,
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode | null | undefined,
  variables: Record<string, unknown> | undefined,
): { bytes: number; error?: GraphQLError } => {
  if (!operation) return { bytes: 0 };
  const measured = measureOperation(limits, schema, document, operation, variables ?? {});
  const error = measureError(measured, limits, operation);
  return error ? { bytes: measured.bytes, error } : { bytes: measured.bytes };
};

/** The refusal of an operation whose user already has as much response data in flight as one operation may hold. */
export const inFlightError = (limits: QueryLimits, node?: ASTNode) =>
  limitError(
    `your operations in flight may already hold up to ${limits.maxResponseBytes} bytes of response data; retry when they have been answered`,
    'RATE_LIMITED',
    node,
  );

/**
 * The per-request checks for Apollo, once the operation is resolved and before it executes: cost
 * and bytes with the request's variables (validation saw none, so `first: $n` counted 1), then the
 * user's share of response data in flight. A query or mutation holds its estimate until its
 * response is on its way; a subscription's events are small and bounded by the reply stream, so
 * it reserves nothing.
 */
export const queryCostPlugin = <TContext extends { principal: { userId: string } }>(
  limits: QueryLimits,
  inFlight: InFlightBudget,
): ApolloServerPlugin<TContext> => ({
  async requestDidStart() {
    let release: (() => void) | undefined;
    return {
      async didResolveOperation({ schema, document, operation, request, contextValue }) {
        const { bytes, error } = measureRequest(limits, schema, document, operation, request.variables);
        if (error) throw error;
        if (operation?.operation === 'subscription') return;
        release = inFlight.reserve(contextValue.principal.userId, bytes);
        if (!release) throw inFlightError(limits, operation ?? undefined);
      },
      async willSendResponse() {
        release?.();
      },
    };
  },
});
