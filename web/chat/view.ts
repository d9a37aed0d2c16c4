import type { ConversationSummary, StoredMessage } from './operations';
import type { ReplyState } from './reply-state';

/** Elements the page works with, looked up once; a missing one is a broken page, said at once. */
export const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page element #${id} is missing`);
  return element as T;
};

const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  children: (Node | string)[] = [],
) => {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children);
  return element;
};

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

export const conversationItem = (conversation: ConversationSummary, current: boolean) => {
  const link = el('a', { href: `/?c=${encodeURIComponent(conversation.id)}` }, [
    `Conversation ${conversation.id.slice(0, 8)}`,
    el('small', {}, [
      `${conversation.messageCount} message${conversation.messageCount === 1 ? '' : 's'} · ${when(conversation.lastMessageAt ?? conversation.createdAt)}`,
    ]),
  ]);
  link.dataset['conversationId'] = conversation.id;
  if (current) link.setAttribute('aria-current', 'page');
  return el('li', {}, [link]);
};

const reasoningBlock = (reasoning: string, streaming: boolean) => {
  const block = el('details', {}, [
    el('summary', {}, [streaming ? 'Reasoning (thinking…)' : 'Reasoning']),
    el('div', {}, [reasoning]),
  ]);
  block.hidden = reasoning === '';
  return block;
};

/** One message as an item of the list; the assistant's reasoning in a collapsible block. */
export const messageItem = (message: Pick<StoredMessage, 'id' | 'role' | 'content' | 'reasoning' | 'partial'>) => {
  const user = message.role === 'USER';
  const item = el('li', { className: `message ${user ? 'user' : 'assistant'}` }, [
    el('p', { className: 'who' }, [user ? 'You' : message.partial ? 'Assistant (partial)' : 'Assistant']),
    ...(user ? [] : [reasoningBlock(message.reasoning ?? '', false)]),
    el('p', { className: 'text' }, [message.content]),
  ]);
  item.dataset['messageId'] = message.id;
  item.dataset['role'] = message.role;
  return item;
};

/** The reply being streamed; updated in place as events arrive. */
export const replyItem = (reply: ReplyState) => {
  const item = messageItem({ id: reply.replyId, role: 'ASSISTANT', content: '', reasoning: '', partial: false });
  item.classList.add('streaming');
  updateReplyItem(item, reply);
  return item;
};

export const updateReplyItem = (item: HTMLElement, reply: ReplyState) => {
  const streaming = reply.status === 'streaming';
  item.setAttribute('aria-busy', String(streaming));
  item.dataset['status'] = reply.status;
  const details = item.querySelector('details');
  if (details) {
    details.hidden = reply.reasoning === '';
    details.querySelector('summary')!.textContent =
      streaming && reply.text === '' ? 'Reasoning (thinking…)' : 'Reasoning';
    details.querySelector('div')!.textContent = reply.reasoning;
  }
  item.querySelector('.text')!.textContent = reply.text;
  item.querySelector('.failure')?.remove();
  const { failure } = reply;
  if (failure)
    item.append(
      el('p', { className: 'failure' }, [
        failure.code === 'CANCELLED'
          ? 'Reply stopped; the text so far is saved.'
          : `Reply failed (${failure.code}): ${failure.reason}`,
      ]),
    );
};
