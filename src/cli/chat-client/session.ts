import { randomUUID } from 'node:crypto';
import { execute, type Connection } from './connection';
import { ChatCliError } from './errors';
import type { ModelChoice } from '../../domain/chat/chat-types';
import type { SendMessageData, SendMessageInput } from './operations';
import { SEND_MESSAGE } from './operations';
import { createReplyRenderer } from './reply-renderer';
import { streamReply, type ReplyOutcome } from './reply-stream';
import type { Terminal } from './terminal';

export interface SessionSettings {
  conversationId?: string;
  model?: ModelChoice;
  thinking: boolean;
  /** Printed before each reply ("bot> " in interactive mode). */
  replyPrefix?: string;
  /** Sends of one message after a lost connection (each with the same client message id); default 5. */
  sendAttempts?: number;
  /** Wait before the n-th resend; default 500 ms doubling. */
  retryDelayMs?: (attempt: number) => number;
}

export interface ChatSession {
  readonly conversationId: string | undefined;
  /** Forget the conversation: the next message starts a new one. */
  startOver(): void;
  /** Sends one message and streams its reply; rejects with ChatCliError. */
  send(content: string, signal?: AbortSignal): Promise<ReplyOutcome>;
}

const describeFailure = (outcome: Extract<ReplyOutcome, { kind: 'failed' }>) => {
  const { code, reason, partialMessageId } = outcome.event;
  const partial = partialMessageId ? ` (the partial reply was saved as message ${partialMessageId})` : '';
  return `reply failed: ${code}: ${reason}${partial}`;
};

/** A conversation as the terminal sees it: the id is announced on stderr once, when it is first known. */
export const createChatSession = (connection: Connection, terminal: Terminal, settings: SessionSettings): ChatSession => {
  let conversationId = settings.conversationId;
  let announced: string | undefined;
  const announce = (id: string) => {
    if (announced === id) return;
    announced = id;
    terminal.notice(`conversation ${id} (resume with --conversation ${id})`);
  };
  const attempts = settings.sendAttempts ?? 5;
  const delayMs = settings.retryDelayMs ?? ((attempt: number) => 500 * 2 ** (attempt - 1));
  /**
   * A dropped connection leaves us not knowing whether the server stored the message: send it
   * again under the same id (the server stores it once). A server that cannot be reached at the
   * first try is not running, which is said at once; once it was reached, it may be restarting.
   */
  const retryable = (error: unknown, attempt: number) =>
    error instanceof ChatCliError && (error.network === 'dropped' || (error.network === 'unreachable' && attempt > 1));
  const sendOnce = async (input: SendMessageInput, signal?: AbortSignal) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await execute<SendMessageData>(connection, { query: SEND_MESSAGE, variables: { input } });
      } catch (error) {
        if (!retryable(error, attempt) || attempt >= attempts || signal?.aborted) throw error;
        terminal.notice(`[${(error as Error).message}; sending again (attempt ${attempt + 1} of ${attempts})]`);
        await new Promise((resolve) => setTimeout(resolve, delayMs(attempt)));
      }
    }
  };
  const sendMessage = async (content: string, signal?: AbortSignal) => {
    const input: SendMessageInput = { content, thinking: settings.thinking, clientMessageId: randomUUID(), ...(conversationId ? { conversationId } : {}), ...(settings.model ? { model: settings.model } : {}) };
    const { sendMessage: sent } = await sendOnce(input, signal);
    conversationId = sent.conversation.id;
    announce(conversationId);
    return sent;
  };
  return {
    get conversationId() {
      return conversationId;
    },
    startOver() {
      conversationId = undefined;
    },
    async send(content, signal) {
      const sent = await sendMessage(content, signal);
      const renderer = createReplyRenderer(terminal, settings.replyPrefix);
      const onReconnecting = (attempt: number) => terminal.notice(`[connection lost; resuming the reply (attempt ${attempt})]`);
      try {
        const outcome = await streamReply(connection, { conversationId: sent.conversation.id, replyId: sent.replyId }, { onEvent: (e) => renderer.event(e), onReconnecting, signal });
        renderer.end();
        if (outcome.kind === 'failed') terminal.notice(describeFailure(outcome));
        return outcome;
      } catch (error) {
        renderer.end();
        throw error;
      }
    },
  };
};
