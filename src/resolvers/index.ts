import type { Resolvers } from '../generated/graphql';
import { me } from './query/me.resolver';
import { Viewer } from './viewer.resolver';

/** The resolver map. Each field lives in its own file; this only assembles them. */
export const createResolvers = (): Resolvers => ({
  Query: { me },
  Viewer,
});
