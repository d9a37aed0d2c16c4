/** Per-message framing tokens (role markers, separators) that chat formats add around content. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export interface ModelLimits {
  readonly contextTokens: number;
  readonly maxOutputTokens: number;
}

/** Tokens left for history: context window − reserved output − system prompt − current message. */
export const historyBudget = (limits: ModelLimits, systemTokens: number, currentTokens: number): number =>
  limits.contextTokens -
  limits.maxOutputTokens -
  (systemTokens + MESSAGE_OVERHEAD_TOKENS) -
  (currentTokens + MESSAGE_OVERHEAD_TOKENS);

/**
 * Keeps the newest entries whose tokens fit the budget and drops the oldest first, so the model
 * always sees the most recent context; the result stays in the input's (oldest-first) order.
 */
export const trimToBudget = <T>(entries: readonly T[], tokensOf: (entry: T) => number, budget: number): T[] => {
  const kept: T[] = [];
  let used = 0;
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const entry = entries[i] as T;
    const cost = tokensOf(entry) + MESSAGE_OVERHEAD_TOKENS;
    if (used + cost > budget) break;
    used += cost;
    kept.unshift(entry);
  }
  return kept;
};

export const HISTORY_WINDOW = { min: 32, max: 4096 } as const;

/** The cached history length to keep after a send: what fitted plus the two new messages, clamped. */
export const historyWindow = (kept: number): number =>
  Math.min(HISTORY_WINDOW.max, Math.max(HISTORY_WINDOW.min, kept + 2));
