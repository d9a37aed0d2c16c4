import { errors, jwtVerify, SignJWT } from 'jose';
import type { AppConfig } from '../../config';
import { AppError } from '../../domain/errors';
import { isRole, USER_ID_PATTERN, type Role } from '../../domain/identity';
import type { TokenVerifier } from '../../domain/ports/token-verifier';

const ALGORITHM = 'HS256';
const secretKey = (auth: AppConfig['auth']) => new TextEncoder().encode(auth.jwtSecret);

const rolesFrom = (claim: unknown): Role[] => {
  const list = Array.isArray(claim) ? claim : [];
  const roles = list.filter(isRole);
  return roles.includes('user') ? roles : ['user', ...roles];
};

/** HS256 verification pinned to one algorithm, issuer and audience; `exp` is mandatory. */
export const createJwtVerifier = (auth: AppConfig['auth']): TokenVerifier => {
  const key = secretKey(auth);
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: auth.issuer,
          audience: auth.audience,
          requiredClaims: ['sub', 'exp'],
        });
        // User ids become parts of cache keys: a conservative alphabet keeps one user's keys from spelling another's.
        if (!payload.sub || !USER_ID_PATTERN.test(payload.sub))
          throw new AppError('UNAUTHENTICATED', 'token subject must be 1-64 characters of A-Z a-z 0-9 . _ @ -');
        return { userId: payload.sub, roles: rolesFrom(payload['roles']), expiresAt: payload.exp as number };
      } catch (error) {
        if (error instanceof AppError) throw error;
        const reason = error instanceof errors.JWTExpired ? 'token expired' : 'invalid token';
        throw new AppError('UNAUTHENTICATED', reason, { cause: error });
      }
    },
  };
};

export interface MintTokenInput {
  userId: string;
  roles?: readonly Role[];
  /** Lifetime in seconds; negative values mint an already expired token (tests). */
  ttlSeconds?: number;
}

export const mintToken = async (auth: AppConfig['auth'], input: MintTokenInput): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: [...(input.roles ?? ['user'])] })
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(input.userId)
    .setIssuer(auth.issuer)
    .setAudience(auth.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (input.ttlSeconds ?? 3600))
    .sign(secretKey(auth));
};
