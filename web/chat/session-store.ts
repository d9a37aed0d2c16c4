import type { PendingSend } from './operations';
import type { ReplyState } from './reply-state';

/**
 * What survives a reload of this tab (sessionStorage: per tab, gone with it): the token, a send not
 * yet acknowledged, and each conversation's reply in progress with its last cursor.
 */
const KEYS = {
  token: 'agent-relay.token',
  pending: 'agent-relay.pending-send',
  reply: (conversationId: string) => `agent-relay.reply.${conversationId}`,
};

const read = <T>(key: string): T | undefined => {
  const raw = sessionStorage.getItem(key);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    sessionStorage.removeItem(key);
    return undefined;
  }
};

export const sessionStore = {
  token: () => sessionStorage.getItem(KEYS.token) ?? undefined,
  saveToken: (token: string) => sessionStorage.setItem(KEYS.token, token),
  clear: () => sessionStorage.clear(),
  pendingSend: () => read<PendingSend>(KEYS.pending),
  savePendingSend: (send: PendingSend) => sessionStorage.setItem(KEYS.pending, JSON.stringify(send)),
  dropPendingSend: () => sessionStorage.removeItem(KEYS.pending),
  reply: (conversationId: string) => read<ReplyState>(KEYS.reply(conversationId)),
  saveReply: (reply: ReplyState) => sessionStorage.setItem(KEYS.reply(reply.conversationId), JSON.stringify(reply)),
  dropReply: (conversationId: string) => sessionStorage.removeItem(KEYS.reply(conversationId)),
};

/** A v4 UUID; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
export const newUuid = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
