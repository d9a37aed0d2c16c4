/**
 * Counts actions per key in fixed windows shared by every instance.
 * Guarantee: `allowed` is false once `limit` actions were taken in the current window.
 */
export interface RateLimiter {
  consume(key: string): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}
