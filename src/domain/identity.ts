/** Roles a token may carry. `ops` unlocks the outbox inspection and replay API. */
export const ROLES = ['user', 'ops'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

/** What a user id (a token's subject) may be: user ids become parts of cache keys. */
export const USER_ID_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/** Who is calling: taken from a verified token, never from client-supplied fields. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** Seconds since the epoch at which the credential stops being valid. */
  readonly expiresAt: number;
}

export const hasRole = (principal: Principal, role: Role): boolean => principal.roles.includes(role);
