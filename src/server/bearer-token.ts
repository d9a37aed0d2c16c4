/**
 * The token in an Authorization header (HTTP) or a connection parameter (graphql-ws): "Bearer x"
 * or a bare token; anything else is treated as absent. Reading the header is the edge's job;
 * checking the token is the TokenVerifier port's.
 */
export const bearerToken = (header: unknown): string | undefined => {
  if (typeof header !== 'string') return undefined;
  const match = /^(?:Bearer\s+)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i.exec(header.trim());
  return match?.[1];
};
