import { randomUUID } from 'node:crypto';
import type { AppendChatMessages } from '../../src/application/append-chat-messages.use-case';
import { localReply } from '../../src/tooling';
import { isFinalSendError, SendError, type ApiClient, type Sent } from './api-client';
import { messageText } from './content';
import { sha256, type Ledger } from './ledger';
import { sleep } from './log';
import type { Rng } from './rng';
import type { Subscribers } from './subscribers';

export interface TrafficPlan {
  readonly writerMessages: number;
  readonly apiSends: number;
  readonly durationMs: number;
  readonly writerConversations: number;
  readonly apiConversations: number;
}

/** ~5% of the messages' worth of sends go through the API (each send is a user message and a reply). */
export const planTraffic = (messages: number, durationMs: number, quick: boolean): TrafficPlan => {
  const apiSends = Math.max(10, Math.round(messages * 0.05));
  return {
    writerMessages: Math.max(0, messages - 2 * apiSends),
    apiSends,
    durationMs,
    writerConversations: 200,
    apiConversations: quick ? 10 : 40,
  };
};

const MAX_IN_FLIGHT = 24;
/** Every WATCH_EVERY-th API conversation has its replies followed by a chatStream subscriber. */
const WATCH_EVERY = 3;
/** Traffic goes on while faults run, but never longer than this past the plan (a stuck fault must not hang the run). */
const OVERTIME_CAP_MS = 300_000;

export interface TrafficDeps {
  readonly rng: Rng;
  readonly ledger: Ledger;
  readonly append: AppendChatMessages;
  readonly api: ApiClient;
  readonly plan: TrafficPlan;
  /** The schema has SendMessageInput.clientMessageId: unanswered sends are retried with it. */
  readonly retrySends: boolean;
  /** How long a client keeps retrying one send (it must outlast the longest outage). */
  readonly retryBudgetMs: number;
  /** Follows the replies of some conversations' sends over chatStream. */
  readonly subscribers: Subscribers;
  /** While true, traffic goes on past the planned end at the same rate (faults still running). */
  readonly faultsRunning: () => boolean;
  readonly signal: AbortSignal;
}

const describe = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]?.slice(0, 200) ?? 'error';

/**
 * Spreads the plan over its duration: writer batches (1–5 messages) for many conversations
 * through the use case in-process, and sendMessage calls over HTTP. Every outcome lands in
 * the ledger: confirmed (exact seq), or unsure when the call failed.
 */
export const runTraffic = async (deps: TrafficDeps) => {
  const { rng, ledger, plan } = deps;
  const writerConversations = Array.from({ length: plan.writerConversations }, (_, i) => ({
    id: randomUUID(),
    userId: `writer-${i % 20}`,
    index: i,
  }));
  const apiConversations = Array.from({ length: plan.apiConversations }, (_, i) => ({
    id: undefined as string | undefined,
    userId: `api-user-${i % 5}`,
    index: i,
    busy: false,
    sends: 0,
  }));
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const stats = { writerSent: 0, apiSent: 0, failedCalls: 0, retriedSends: 0 };
  let batchNo = 0;

  const writeBatch = async (size: number) => {
    const conversation = rng.pick(writerConversations);
    batchNo += 1;
    const contents = Array.from({ length: size }, (_, i) =>
      messageText(rng, `w${conversation.index}.${batchNo}.${i}`, 10_000),
    );
    const messages = contents.map((content) => ({
      role: rng.chance(0.5) ? ('user' as const) : ('assistant' as const),
      content,
    }));
    try {
      const result = await deps.append({ conversationId: conversation.id, userId: conversation.userId, messages });
      result.messages.forEach((m, i) =>
        ledger.confirm({
          conversationId: conversation.id,
          seq: m.seq,
          hash: sha256(contents[i] ?? ''),
          source: 'writer',
        }),
      );
    } catch (error) {
      stats.failedCalls += 1;
      ledger.unsure({
        conversationId: conversation.id,
        hashes: contents.map(sha256),
        optional: [],
        error: describe(error),
        at: Date.now(),
      });
    }
  };

  /**
   * A client that does not give up: a send whose answer it did not get is sent again with the
   * same clientMessageId (backoff 250 ms doubling to 2 s) until an answer arrives, the server
   * says no for good, or the budget runs out. Without the key in the schema it sends once.
   */
  const sendWithRetries = async (userId: string, input: { conversationId?: string; content: string }) => {
    const clientMessageId = deps.retrySends ? randomUUID() : undefined;
    const deadline = Date.now() + deps.retryBudgetMs;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      try {
        const sent: Sent = await deps.api.send(userId, { ...input, ...(clientMessageId ? { clientMessageId } : {}) });
        return { sent, attempts, clientMessageId };
      } catch (error) {
        const retry =
          clientMessageId !== undefined && !isFinalSendError(error) && Date.now() < deadline && !deps.signal.aborted;
        if (!retry)
          throw Object.assign(error instanceof Error ? error : new Error(String(error)), { attempts, clientMessageId });
        if (attempts === 1) stats.retriedSends += 1;
        await sleep(Math.min(250 * 2 ** (attempts - 1), 2_000) * rng.between(0.5, 1));
      }
    }
  };

  const sendApi = async (conversation: (typeof apiConversations)[number]) => {
    conversation.busy = true;
    conversation.sends += 1;
    const content = messageText(rng, `a${conversation.index}.${conversation.sends}`, 150);
    const hash = sha256(content);
    const replyHash = sha256(localReply([{ role: 'user', content }]));
    try {
      const { sent, attempts, clientMessageId } = await sendWithRetries(conversation.userId, {
        ...(conversation.id ? { conversationId: conversation.id } : {}),
        content,
      });
      conversation.id = sent.conversationId;
      ledger.recordSend({
        clientMessageId: clientMessageId ?? null,
        conversationId: sent.conversationId,
        hash,
        attempts,
        acknowledged: true,
      });
      ledger.confirm({ conversationId: sent.conversationId, seq: sent.seq, hash, source: 'api' });
      ledger.expectReply({ conversationId: sent.conversationId, afterSeq: sent.seq, hash: replyHash });
      if (conversation.index % WATCH_EVERY === 0)
        deps.subscribers.watch(conversation.userId, sent.conversationId, sent.replyId);
    } catch (error) {
      stats.failedCalls += 1;
      const { attempts = 1, clientMessageId = null } = error as { attempts?: number; clientMessageId?: string };
      const lastCode = error instanceof SendError ? error.code : undefined;
      ledger.recordSend({
        clientMessageId,
        conversationId: conversation.id ?? null,
        hash,
        attempts,
        acknowledged: false,
        ...(lastCode ? { lastCode } : {}),
      });
      ledger.unsure({
        conversationId: conversation.id ?? null,
        hashes: [hash],
        optional: [replyHash],
        error: describe(error),
        at: Date.now(),
      });
    } finally {
      conversation.busy = false;
    }
  };

  const started = Date.now();
  for (;;) {
    if (deps.signal.aborted) break;
    const elapsed = Date.now() - started;
    const fraction = elapsed / plan.durationMs;
    const planDone = stats.writerSent >= plan.writerMessages && stats.apiSent >= plan.apiSends;
    if (fraction >= 1 && planDone && !deps.faultsRunning()) break;
    if (elapsed > plan.durationMs + OVERTIME_CAP_MS) break;
    // Past the planned end (a fault still running) the same rate goes on.
    const writerTarget = Math.floor(plan.writerMessages * fraction);
    const apiTarget = Math.floor(plan.apiSends * fraction);
    while (stats.writerSent < writerTarget && inFlight.size < MAX_IN_FLIGHT) {
      const size = Math.min(rng.int(1, 5), Math.max(1, writerTarget - stats.writerSent));
      stats.writerSent += size;
      track(writeBatch(size));
    }
    while (stats.apiSent < apiTarget && inFlight.size < MAX_IN_FLIGHT) {
      const idle = apiConversations.filter((c) => !c.busy);
      if (idle.length === 0) break;
      stats.apiSent += 1;
      track(sendApi(rng.pick(idle)));
    }
    await sleep(20);
  }
  await Promise.allSettled([...inFlight]);
  return { ...stats, durationMs: Date.now() - started };
};
