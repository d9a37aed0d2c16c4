import type { ViewerResolvers } from '../generated/graphql';

export const Viewer: ViewerResolvers = {
  userId: (principal) => principal.userId,
  roles: (principal) => principal.roles.map((role) => (role === 'ops' ? 'OPS' : 'USER')),
  tokenExpiresAt: (principal) => new Date(principal.expiresAt * 1000).toISOString(),
};
