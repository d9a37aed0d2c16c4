import type { Principal } from '../identity';

/**
 * Turns a bearer credential into a principal.
 * Guarantee: resolves only for a credential whose signature, issuer, audience and
 * expiry all check out; otherwise rejects with an AppError coded UNAUTHENTICATED.
 */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}
