import { execute, type Connection } from './connection';
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
  const sendMessage = async (content: string) => {
    const input: SendMessageInput = { content, thinking: settings.thinking, ...(conversationId ? { conversationId } : {}), ...(settings.model ? { model: settings.model } : {}) };
    const { sendMessage: sent } = await execute<SendMessageData>(connection, { query: SEND_MESSAGE, variables: { input } });
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
      const sent = await sendMessage(content);
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
