import type { ChainableCommander } from 'ioredis';
import type { ConversationScope } from '../../domain/ports/conversation-scope';
import { AppError } from '../../domain/errors';

// Ids become key segments: a ':' or whitespace could make one user's key spell another's.
const SAFE_ID = /^[^\s:]+$/;

const checked = (what: string, value: string): string => {
  if (!SAFE_ID.test(value))
    throw new AppError('BAD_USER_INPUT', `${what} must be non-empty and contain no ':' or whitespace`);
  return value;
};

const scoped = (scope: ConversationScope) =>
  `${checked('userId', scope.userId)}:${checked('conversationId', scope.conversationId)}`;

/**
 * Key builders for chat data under the configured prefix. Every per-conversation key carries
 * both the user and the conversation id, so a lookup made for one user can never read another's.
 * Builders throw (BAD_USER_INPUT) on ids that could forge a key.
 */
export const chatKeys = (prefix: string) => ({
  /** Redis list of JSON HistoryEntry, newest last. */
  history: (scope: ConversationScope) => `${prefix}:chat:hist:${scoped(scope)}`,
  /** "1" while the user is known to own the conversation. */
  owner: (scope: ConversationScope) => `${prefix}:chat:owner:${scoped(scope)}`,
  /** Redis Stream of one reply's events. */
  reply: (scope: ConversationScope & { replyId: string }) =>
    `${prefix}:chat:reply:${scoped(scope)}:${checked('replyId', scope.replyId)}`,
  /** The newest run of a reply that appended to it (a number): older runs' appends are refused. */
  replyFence: (scope: ConversationScope & { replyId: string }) =>
    `${prefix}:chat:reply-fence:${scoped(scope)}:${checked('replyId', scope.replyId)}`,
  /** The conversation's latest reply: `<user message seq>:<reply id>` (see ReplyStream.markLatest). */
  latest: (scope: ConversationScope) => `${prefix}:chat:latest:${scoped(scope)}`,
  /** "1" once the reply's stop was requested (cancelReply); reply ids are UUIDs, unique across users. */
  cancel: (replyId: string) => `${prefix}:chat:cancel:${checked('replyId', replyId)}`,
  /** One pub/sub channel per deployment for stop requests; messages are reply ids. */
  cancelChannel: () => `${prefix}:chat:cancels`,
  /** One pub/sub channel per deployment; messages name the stream key that grew. */
  notifyChannel: () => `${prefix}:chat:notify`,
});

/**
 * Runs a MULTI and returns each command's reply. ioredis resolves EXEC even when a queued
 * command failed at run time (e.g. WRONGTYPE), so each reply's error is surfaced here.
 */
export const execOrThrow = async (multi: ChainableCommander): Promise<unknown[]> => {
  const results = await multi.exec();
  if (!results) throw new Error('redis transaction was discarded');
  return results.map(([error, reply]) => {
    if (error) throw error;
    return reply;
  });
};
