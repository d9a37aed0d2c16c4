/**
 * One streamed reply as the page shows it, rebuilt from chatStream events. Pure (no DOM, no
 * storage) so it can be saved, restored after a reload and tested on its own.
 *
 * What must stay true: each event is applied once. graphql-ws re-subscribes after a dropped
 * connection, and a reload resumes from the saved cursor, so an event may arrive again; any event
 * at or before the last applied cursor is ignored, which keeps the text free of repeats, and
 * resuming `after` that cursor leaves no gap.
 */
export interface ReplyState {
  readonly conversationId: string;
  readonly replyId: string;
  /** The user message this reply answers, shown until history has it. */
  readonly userMessage?: { readonly id: string; readonly content: string };
  /** The last applied event's cursor: resume after it. */
  readonly cursor?: string;
  readonly text: string;
  readonly reasoning: string;
  readonly status: 'streaming' | 'completed' | 'failed';
  readonly failure?: { readonly code: string; readonly reason: string };
  /** The stored message once the reply completed. */
  readonly messageId?: string;
}

/** A chatStream event; types this page does not know (added later) carry only the interface's fields. */
export interface StreamEvent {
  readonly __typename: string;
  readonly cursor: string;
  readonly replyId: string;
  readonly text?: string;
  readonly code?: string;
  readonly reason?: string;
  readonly message?: { readonly id: string; readonly content: string; readonly reasoning?: string | null };
}

/** Redis stream ids ("ms-seq"), compared as numbers: a plain string compare puts "9-0" after "10-0". */
export const compareCursors = (a: string, b: string): number => {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map((part) => BigInt(part));
  const [bMs = 0n, bSeq = 0n] = b.split('-').map((part) => BigInt(part));
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
};

export const startReply = (init: Pick<ReplyState, 'conversationId' | 'replyId' | 'userMessage'>): ReplyState => ({
  ...init,
  text: '',
  reasoning: '',
  status: 'streaming',
});

/** The state after one event; the same state when the event was seen already or belongs to another reply. */
export const applyEvent = (state: ReplyState, event: StreamEvent): ReplyState => {
  if (event.replyId !== state.replyId || state.status !== 'streaming') return state;
  if (state.cursor !== undefined && compareCursors(event.cursor, state.cursor) <= 0) return state;
  const next = { ...state, cursor: event.cursor };
  switch (event.__typename) {
    case 'TokenDelta':
      return { ...next, text: state.text + (event.text ?? '') };
    case 'ReasoningDelta':
      return { ...next, reasoning: state.reasoning + (event.text ?? '') };
    case 'ReplyRestarted':
      // Another process generates the reply again from the start: what came so far is void.
      return { ...next, text: '', reasoning: '' };
    case 'ReplyCompleted':
      return {
        ...next,
        status: 'completed',
        text: event.message?.content ?? state.text,
        reasoning: event.message?.reasoning ?? state.reasoning,
        messageId: event.message?.id,
      };
    case 'ReplyFailed':
      return { ...next, status: 'failed', failure: { code: event.code ?? 'INTERNAL', reason: event.reason ?? '' } };
    default:
      return next;
  }
};
