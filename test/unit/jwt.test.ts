import { SignJWT } from 'jose';
import { createJwtVerifier, mintToken } from '../../src/infra/auth/jwt';
import { bearerToken } from '../../src/server/bearer-token';

const auth = {
  jwtSecret: 'unit-test-secret-0123456789abcdefghij',
  usingDevSecret: false,
  issuer: 'agent-relay',
  audience: 'agent-relay',
};
const verifier = createJwtVerifier(auth);

describe('JWT verifier', () => {
  it('accepts a token it minted and reads user and roles', async () => {
    const principal = await verifier.verify(await mintToken(auth, { userId: '42', roles: ['user', 'ops'] }));
    expect(principal).toMatchObject({ userId: '42', roles: ['user', 'ops'] });
    expect(principal.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('rejects an expired token as UNAUTHENTICATED "token expired"', async () => {
    const token = await mintToken(auth, { userId: '42', ttlSeconds: -10 });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'token expired' });
  });

  it('rejects a token signed with another secret', async () => {
    const forged = await mintToken(
      { ...auth, jwtSecret: 'another-secret-0123456789abcdefghijkl' },
      { userId: '42', roles: ['ops'] },
    );
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'invalid token' });
  });

  it('rejects an unsigned (alg none) token', async () => {
    const unsigned = await mintToken(auth, { userId: '42' });
    const [, payload] = unsigned.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expect(verifier.verify(`${header}.${payload}.`)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('rejects a token for another audience or without expiry', async () => {
    const key = new TextEncoder().encode(auth.jwtSecret);
    const otherAudience = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuer('agent-relay')
      .setAudience('x')
      .setExpirationTime('1h')
      .sign(key);
    const noExpiry = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuer('agent-relay')
      .setAudience('agent-relay')
      .sign(key);
    await expect(verifier.verify(otherAudience)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verifier.verify(noExpiry)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('ignores unknown roles and always grants user', async () => {
    const key = new TextEncoder().encode(auth.jwtSecret);
    const token = await new SignJWT({ roles: ['admin', 'ops'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('7')
      .setIssuer('agent-relay')
      .setAudience('agent-relay')
      .setExpirationTime('1h')
      .sign(key);
    expect((await verifier.verify(token)).roles).toEqual(['user', 'ops']);
  });

  it('reads bearer headers strictly', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('a.b.c')).toBe('a.b.c');
    expect(bearerToken('Basic dXNlcjpwdw==')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
