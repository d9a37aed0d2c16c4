import { randomUUID } from 'node:crypto';
import { retry } from '../../application/retry';
import type { Scheduler } from '../../domain/ports/scheduler';
import { systemScheduler } from '../../infra/system-scheduler';
import { execute, type Connection } from './connection';
import { ChatCliError } from './errors';
import type { ModelChoice } from '../../domain/chat/chat-types';
import type { SendMessageData, SendMessageInput } from './operations';
import { CANCEL_REPLY, SEND_MESSAGE } from './operations';
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
  /** Waits before each resend (500 ms doubling); default: the runtime's timers. */
  scheduler?: Scheduler;
}

export interface ChatSession {
  readonly conversationId: string | undefined;
  /** Forget the conversation: the next message starts a new one. */
  startOver(): void;
  /** Sends one message and streams its reply; rejects with ChatCliError. */
  send(content: string, signal?: AbortSignal): Promise<ReplyOutcome>;
  /**
   * Stops generating the reply in flight (cancelReply; as soon as its id is known, if the send
   * is still under way); its stream then ends with ReplyFailed CANCELLED. 'already-stopping' when
   * asked before for this reply, 'idle' when no reply is in flight.
   */
  stop(): 'stopping' | 'already-stopping' | 'idle';
}

const describeFailure = (outcome: Extract<ReplyOutcome, { kind: 'failed' }>) => {
  const { code, reason, partialMessageId } = outcome.event;
  if (code === 'CANCELLED')
    return `[reply stopped${partialMessageId ? `; the text so far was saved as message ${partialMessageId}` : ''}]`;
  const partial = partialMessageId ? ` (the partial reply was saved as message ${partialMessageId})` : '';
  return `reply failed: ${code}: ${reason}${partial}`;
};

/** The send in flight: its reply id once known, and whether its reply is to be stopped. */
interface InFlight {
  replyId?: string;
  stopping: boolean;
  /** The cancelReply request, once sent: a send ends only after it settled, so quitting never drops it. */
  cancelling?: Promise<unknown>;
}

/** A conversation as the terminal sees it: the id is announced on stderr once, when it is first known. */
export const createChatSession = (
  connection: Connection,
  terminal: Terminal,
  settings: SessionSettings,
): ChatSession => {
  let conversationId = settings.conversationId;
  let announced: string | undefined;
  const announce = (id: string) => {
    if (announced === id) return;
    announced = id;
    terminal.notice(`conversation ${id} (resume with --conversation ${id})`);
  };
  const policy = {
    baseMs: 500,
    capMs: Number.POSITIVE_INFINITY,
    jitter: 'none',
    maxAttempts: settings.sendAttempts ?? 5,
  } as const;
  /**
   * A dropped connection leaves us not knowing whether the server stored the message: send it
   * again under the same id (the server stores it once). A server that cannot be reached at the
   * first try is not running, which is said at once; once it was reached, it may be restarting.
   */
  const retryable = (error: unknown, attempt: number) =>
    error instanceof ChatCliError && (error.network === 'dropped' || (error.network === 'unreachable' && attempt > 1));
  const sendOnce = (input: SendMessageInput, signal?: AbortSignal) =>
    retry(() => execute<SendMessageData>(connection, { query: SEND_MESSAGE, variables: { input } }), {
      policy,
      scheduler: settings.scheduler ?? systemScheduler,
      signal,
      isRetryable: retryable,
      onRetry: ({ error, attempt }) =>
        terminal.notice(
          `[${(error as Error).message}; sending again (attempt ${attempt + 1} of ${policy.maxAttempts})]`,
        ),
    });
  const sendMessage = async (content: string, signal?: AbortSignal) => {
    const input: SendMessageInput = {
      content,
      thinking: settings.thinking,
      clientMessageId: randomUUID(),
      ...(conversationId ? { conversationId } : {}),
      ...(settings.model ? { model: settings.model } : {}),
    };
    const { sendMessage: sent } = await sendOnce(input, signal);
    conversationId = sent.conversation.id;
    announce(conversationId);
    return sent;
  };
  let inFlight: InFlight | undefined;
  const cancel = (flight: InFlight, replyId: string) => {
    flight.cancelling = execute(connection, { query: CANCEL_REPLY, variables: { replyId } }).catch((error: unknown) =>
      // REPLY_FINISHED: the reply ended before the request arrived; it is shown whole.
      terminal.notice(`[could not stop the reply: ${(error as Error).message}]`),
    );
  };
  const sendAndStream = async (content: string, flight: InFlight, signal?: AbortSignal) => {
    const sent = await sendMessage(content, signal);
    flight.replyId = sent.replyId;
    if (flight.stopping) cancel(flight, sent.replyId);
    const renderer = createReplyRenderer(terminal, settings.replyPrefix);
    const onReconnecting = (attempt: number) =>
      terminal.notice(`[connection lost; resuming the reply (attempt ${attempt})]`);
    try {
      const outcome = await streamReply(
        connection,
        { conversationId: sent.conversation.id, replyId: sent.replyId },
        { onEvent: (e) => renderer.event(e), onReconnecting, signal },
      );
      renderer.end();
      if (outcome.kind === 'failed') terminal.notice(describeFailure(outcome));
      return outcome;
    } catch (error) {
      renderer.end();
      throw error;
    }
  };
  return {
    get conversationId() {
      return conversationId;
    },
    startOver() {
      conversationId = undefined;
    },
    stop() {
      if (!inFlight) return 'idle';
      if (inFlight.stopping) return 'already-stopping';
      inFlight.stopping = true;
      if (inFlight.replyId) cancel(inFlight, inFlight.replyId);
      return 'stopping';
    },
    async send(content, signal) {
      const flight: InFlight = { stopping: false };
      inFlight = flight;
      try {
        return await sendAndStream(content, flight, signal);
      } finally {
        inFlight = undefined;
        await flight.cancelling;
      }
    },
  };
};
