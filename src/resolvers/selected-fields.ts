import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The names of the fields an operation selects on the value a resolver returns, through inline
 * and named fragments (validation has ruled out fragment cycles). Directives are not evaluated:
 * a field under `@skip(if: true)` still counts as selected, so a caller that reads less when less
 * is selected may read too much, never too little.
 */
export const selectedFields = (info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): Set<string> => {
  const names = new Set<string>();
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return names;
};
