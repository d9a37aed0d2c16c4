import './chat.css';
import { ApiError, createApi, describeStreamError, type Api } from './api';
import {
  CANCEL_REPLY,
  CHAT_STREAM,
  CONVERSATION,
  CONVERSATIONS,
  ME,
  SEND_MESSAGE,
  type ConversationResult,
  type ConversationsResult,
  type ModelChoice,
  type PendingSend,
  type SendResult,
  type StoredMessage,
} from './operations';
import { readHistory, waitForStoredMessage, type ReadHistoryPage } from './history-pages';
import { applyEvent, startReply, type ReplyState, type StreamEvent } from './reply-state';
import { newUuid, sessionStore } from './session-store';
import { byId, conversationItem, messageItem, replyItem, updateReplyItem } from './view';

const ui = {
  signIn: byId('sign-in'),
  tokenForm: byId<HTMLFormElement>('token-form'),
  token: byId<HTMLTextAreaElement>('token'),
  devForm: byId<HTMLFormElement>('dev-token-form'),
  devUser: byId<HTMLInputElement>('dev-user'),
  signInError: byId('sign-in-error'),
  chat: byId('chat'),
  whoami: byId('whoami'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  announcer: byId('announcer'),
  list: byId<HTMLUListElement>('conversation-list'),
  newConversation: byId<HTMLAnchorElement>('new-conversation'),
  more: byId<HTMLButtonElement>('more-conversations'),
  title: byId('conversation-title'),
  notice: byId('notice'),
  messages: byId<HTMLOListElement>('messages'),
  composer: byId<HTMLFormElement>('composer'),
  content: byId<HTMLTextAreaElement>('content'),
  model: byId<HTMLSelectElement>('model'),
  thinking: byId<HTMLInputElement>('thinking'),
  send: byId<HTMLButtonElement>('send'),
  stop: byId<HTMLButtonElement>('stop'),
};

/** Stream errors after which resuming cannot work: the reply (or its stream) no longer exists. */
const GONE_FOR_GOOD = new Set(['NOT_FOUND', 'CONVERSATION_NOT_FOUND', 'REPLY_EXPIRED', 'BAD_USER_INPUT']);

/** Where the page is: the API of the signed-in user, the open conversation and its live reply. */
let api: Api | undefined;
let current: {
  conversationId?: string;
  stopStream?: () => void;
  replyId?: string;
  /** Cursor of the last stored message the page has read: a stored reply comes after it. */
  historyEnd?: string | null;
} = {};
let conversationsAfter: string | null = null;
/** Bumped by each fresh read of the list, so a slower earlier read cannot overwrite a later one. */
let listGeneration = 0;

const requireApi = () => {
  if (!api) throw new Error('not signed in');
  return api;
};
const messageOf = (error: unknown) =>
  error instanceof ApiError
    ? `${error.message} (${error.code})`
    : error instanceof Error
      ? error.message
      : String(error);
const announce = (text: string) => void (ui.announcer.textContent = text);
const showNotice = (text: string) => void (ui.notice.textContent = text);
const scrollToEnd = () => ui.messages.lastElementChild?.scrollIntoView({ block: 'end' });
const setSending = (busy: boolean) => {
  ui.send.disabled = busy;
  ui.send.textContent = busy ? 'Replying…' : 'Send';
  // Stop is offered while a reply streams (its id known); focus moves to it there, and back to the message box after.
  const stoppable = busy && current.replyId !== undefined;
  const hadFocus = document.activeElement === ui.stop;
  ui.stop.hidden = !stoppable;
  setStopping(false);
  if (hadFocus && !stoppable) ui.content.focus();
};

/** aria-disabled rather than disabled while stopping: a disabled button drops the keyboard focus. */
const setStopping = (stopping: boolean) => {
  ui.stop.setAttribute('aria-disabled', String(stopping));
  ui.stop.textContent = stopping ? 'Stopping…' : 'Stop';
};

/** Stop generating the reply being followed; its end (ReplyFailed CANCELLED) arrives on its stream. */
const stopReply = async () => {
  const { replyId } = current;
  if (!replyId || ui.stop.getAttribute('aria-disabled') === 'true') return;
  setStopping(true);
  try {
    await requireApi().request(CANCEL_REPLY, { replyId });
  } catch (error) {
    // REPLY_FINISHED: the reply ended before the stop arrived; the stream shows it whole.
    if (!(error instanceof ApiError && error.code === 'REPLY_FINISHED'))
      showNotice(`Could not stop the reply: ${messageOf(error)}`);
    setStopping(false);
  }
};
/** `?c=` with nothing after it is no conversation (a new one), not an id the server would refuse. */
const conversationFromUrl = () => new URL(location.href).searchParams.get('c') || undefined;
const goTo = (conversationId: string | undefined, mode: 'push' | 'replace' = 'push') => {
  const url = conversationId ? `/?c=${encodeURIComponent(conversationId)}` : '/';
  if (mode === 'push') history.pushState(null, '', url);
  else history.replaceState(null, '', url);
};

const markCurrentInList = () => {
  for (const link of ui.list.querySelectorAll<HTMLAnchorElement>('a[data-conversation-id]')) {
    if (link.dataset['conversationId'] === current.conversationId) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
};

const loadConversations = async (reset: boolean) => {
  const generation = reset ? (listGeneration += 1) : listGeneration;
  const { conversations } = await requireApi().request<ConversationsResult>(CONVERSATIONS, {
    after: reset ? null : conversationsAfter,
  });
  if (generation !== listGeneration) return;
  if (reset) ui.list.replaceChildren();
  ui.list.append(...conversations.edges.map(({ node }) => conversationItem(node, node.id === current.conversationId)));
  conversationsAfter = conversations.pageInfo.endCursor;
  ui.more.hidden = !conversations.pageInfo.hasNextPage;
};

/** Pages of a conversation's history (40 messages each); null when it is missing or not this user's. */
const historyOf =
  (conversationId: string): ReadHistoryPage =>
  async (after) => {
    const { conversation } = await requireApi().request<ConversationResult>(CONVERSATION, {
      id: conversationId,
      after,
    });
    return (
      conversation && {
        messages: conversation.messages.edges.map((edge) => edge.node),
        ...conversation.messages.pageInfo,
      }
    );
  };

/**
 * The list's message counts come from history, which stores a reply a moment after it ends: the
 * list is read again once history has the reply, or it would show one message fewer for good.
 */
const refreshListOnceStored = async (reply: ReplyState, historyEnd: string | null) => {
  const stored = await waitForStoredMessage({
    readPage: historyOf(reply.conversationId),
    after: historyEnd,
    messageId: reply.replyId,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  if (!stored) return;
  if (current.conversationId === reply.conversationId) current.historyEnd = stored.endCursor;
  await loadConversations(true).then(markCurrentInList);
};

/** Shows a reply and, while it streams, follows it from its last cursor (a reload or reconnect resumes there). */
const followReply = (initial: ReplyState) => {
  let reply = initial;
  const item = replyItem(reply);
  ui.messages.append(item);
  scrollToEnd();
  if (reply.status !== 'streaming') return;
  current.replyId = reply.replyId;
  setSending(true);
  const variables = { conversationId: reply.conversationId, replyId: reply.replyId, after: reply.cursor ?? null };
  const historyEnd = current.historyEnd ?? null;
  const update = (next: ReplyState) => {
    reply = next;
    // graphql-ws sends this same object when it re-subscribes: the reconnect resumes after the last event.
    variables.after = reply.cursor ?? null;
    sessionStore.saveReply(reply);
    updateReplyItem(item, reply);
    scrollToEnd();
    if (reply.status === 'completed') announce('Reply complete');
    if (reply.status === 'failed')
      announce(reply.failure?.code === 'CANCELLED' ? 'Reply stopped' : `Reply failed: ${reply.failure?.code ?? ''}`);
  };
  // The subscription failed, not the reply: unless the reply is gone for good, the saved state stays, so a reload resumes.
  const streamFailed = (error: ApiError) => {
    item.setAttribute('aria-busy', 'false');
    current.replyId = undefined;
    setSending(false);
    const gone = GONE_FOR_GOOD.has(error.code);
    if (gone) sessionStore.dropReply(reply.conversationId);
    showNotice(
      `The reply stream stopped: ${error.message} (${error.code}).${gone ? '' : ' Reload the page to resume it.'}`,
    );
  };
  const stop = requireApi().subscribe<{ chatStream: StreamEvent }>(CHAT_STREAM, variables, {
    next: (result) => {
      if (result.errors?.length) return streamFailed(describeStreamError(result.errors));
      if (result.data?.chatStream) update(applyEvent(reply, result.data.chatStream));
    },
    error: (error) => streamFailed(describeStreamError(error)),
    complete: () => {
      current.replyId = undefined;
      setSending(false);
      if (reply.status === 'streaming')
        showNotice('The reply stream ended before the reply did; reload the page to resume it.');
      void loadConversations(true).catch(() => undefined);
      // A stopped reply keeps its text as a stored (partial) message too.
      if (reply.status === 'completed' || reply.failure?.code === 'CANCELLED')
        void refreshListOnceStored(reply, historyEnd).catch(() => undefined);
    },
  });
  current.stopStream = () => {
    stop();
    current.replyId = undefined;
    setSending(false);
  };
};

/** The history, then a reply this tab was following (if history does not have it yet). */
const openConversation = async (conversationId: string | undefined) => {
  current.stopStream?.();
  current = { conversationId };
  ui.messages.replaceChildren();
  showNotice('');
  markCurrentInList();
  ui.composer.hidden = false;
  ui.title.textContent = conversationId ? `Conversation ${conversationId}` : 'New conversation';
  if (!conversationId) return;
  let messages: StoredMessage[] | null;
  try {
    const history = await readHistory(historyOf(conversationId));
    messages = history?.messages ?? null;
    if (history && current.conversationId === conversationId) current.historyEnd = history.endCursor;
  } catch (error) {
    // A malformed id is as missing as another user's conversation.
    if (error instanceof ApiError && error.code === 'BAD_USER_INPUT') messages = null;
    else return showNotice(`Could not load the conversation: ${messageOf(error)}`);
  }
  if (current.conversationId !== conversationId) return; // the user went elsewhere meanwhile
  if (!messages) {
    ui.title.textContent = 'Conversation not found';
    ui.composer.hidden = true;
    return showNotice('Conversation not found: it does not exist, or it is not yours.');
  }
  ui.messages.append(...messages.map(messageItem));
  const saved = sessionStore.reply(conversationId);
  if (!saved) return;
  if (messages.some((message) => message.id === saved.replyId)) return sessionStore.dropReply(conversationId);
  if (saved.userMessage && !messages.some((message) => message.id === saved.userMessage?.id)) {
    ui.messages.append(messageItem({ ...saved.userMessage, role: 'USER', reasoning: null, partial: false }));
  }
  followReply(saved);
};

/** Sends (or sends again, after a reload) under the send's clientMessageId, then follows its reply. */
const deliver = async (pending: PendingSend) => {
  setSending(true);
  showNotice('');
  const optimistic = messageItem({
    id: pending.clientMessageId,
    role: 'USER',
    content: pending.content,
    reasoning: null,
    partial: false,
  });
  ui.messages.append(optimistic);
  scrollToEnd();
  try {
    const { conversationId, content, model, thinking, clientMessageId } = pending;
    const { sendMessage } = await requireApi().requestWithRetry<SendResult>(
      SEND_MESSAGE,
      { input: { conversationId, content, model, thinking, clientMessageId } },
      (attempt) => showNotice(`No answer from the server; sending again (attempt ${attempt + 1})…`),
    );
    sessionStore.dropPendingSend();
    showNotice('');
    optimistic.dataset['messageId'] = sendMessage.userMessage.id;
    const id = sendMessage.conversation.id;
    if (id !== current.conversationId) {
      current.conversationId = id;
      goTo(id, 'replace');
      ui.title.textContent = `Conversation ${id}`;
      void loadConversations(true).then(markCurrentInList, () => undefined);
    }
    const reply = startReply({
      conversationId: id,
      replyId: sendMessage.replyId,
      userMessage: { id: sendMessage.userMessage.id, content: pending.content },
    });
    sessionStore.saveReply(reply);
    followReply(reply);
  } catch (error) {
    optimistic.remove();
    ui.content.value = pending.content;
    setSending(false);
    // After a network failure the send may have arrived: sending the same text again keeps its id.
    if (!(error instanceof TypeError)) sessionStore.dropPendingSend();
    showNotice(`Not sent: ${messageOf(error)}`);
  }
};

const onSubmit = (event: SubmitEvent) => {
  event.preventDefault();
  const content = ui.content.value.trim();
  if (!content || ui.send.disabled) return;
  const earlier = sessionStore.pendingSend();
  const pending: PendingSend =
    earlier && earlier.content === content && earlier.conversationId === current.conversationId
      ? earlier
      : {
          clientMessageId: newUuid(),
          conversationId: current.conversationId,
          content,
          model: ui.model.value as ModelChoice,
          thinking: ui.thinking.checked,
        };
  sessionStore.savePendingSend(pending);
  ui.content.value = '';
  void deliver(pending);
};

const signIn = async (token: string) => {
  const candidate = createApi(token);
  let userId: string;
  try {
    userId = (await candidate.request<{ me: { userId: string } }>(ME)).me.userId;
  } catch (error) {
    candidate.dispose();
    sessionStore.clear();
    ui.signIn.hidden = false;
    ui.signInError.textContent = `Sign-in failed: ${messageOf(error)}`;
    return;
  }
  api = candidate;
  sessionStore.saveToken(token);
  ui.signIn.hidden = true;
  ui.chat.hidden = false;
  ui.whoami.hidden = false;
  ui.whoami.textContent = `Signed in as ${userId}`;
  ui.signOut.hidden = false;
  await openConversation(conversationFromUrl());
  await loadConversations(true).catch((error: unknown) =>
    showNotice(`Could not list conversations: ${messageOf(error)}`),
  );
  const pending = sessionStore.pendingSend();
  if (pending && pending.conversationId === current.conversationId) void deliver(pending);
  ui.content.focus();
};

const offerDevToken = async () => {
  const probe = await fetch('/dev/token').catch(() => undefined);
  ui.devForm.hidden = !probe?.ok;
};

const useDevToken = async (event: SubmitEvent) => {
  event.preventDefault();
  const response = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: ui.devUser.value.trim() }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!body.token) return void (ui.signInError.textContent = `No development token: ${body.error ?? response.status}`);
  await signIn(body.token);
};

const wire = () => {
  ui.tokenForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void signIn(ui.token.value.trim().replace(/^Bearer\s+/i, ''));
  });
  ui.devForm.addEventListener('submit', (event) => void useDevToken(event));
  ui.signOut.addEventListener('click', () => {
    api?.dispose();
    sessionStore.clear();
    location.assign('/');
  });
  ui.composer.addEventListener('submit', onSubmit);
  ui.stop.addEventListener('click', () => void stopReply());
  // Escape in the message box stops the reply too, without leaving the keyboard.
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !ui.stop.hidden) void stopReply();
  });
  ui.content.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.more.addEventListener(
    'click',
    () => void loadConversations(false).catch((error: unknown) => showNotice(messageOf(error))),
  );
  const navigate = (event: MouseEvent, conversationId: string | undefined) => {
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return; // let the browser open a new tab
    event.preventDefault();
    goTo(conversationId);
    void openConversation(conversationId);
  };
  ui.list.addEventListener('click', (event) => {
    const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[data-conversation-id]');
    if (link) navigate(event, link.dataset['conversationId']);
  });
  ui.newConversation.addEventListener('click', (event) => {
    navigate(event, undefined);
    ui.content.focus();
  });
  window.addEventListener('popstate', () => void openConversation(conversationFromUrl()));
};

wire();
const token = sessionStore.token();
if (token) void signIn(token);
else ui.signIn.hidden = false;
void offerDevToken();
