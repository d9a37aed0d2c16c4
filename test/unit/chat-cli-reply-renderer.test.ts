import { createReplyRenderer } from '../../src/cli/chat-client/reply-renderer';
import type { Terminal } from '../../src/cli/chat-client/terminal';

const base = { cursor: '1-0', replyId: 'r1' };

describe('chat client reply renderer', () => {
  it('prints a restarted reply again on its own line, with a notice on stderr', () => {
    const out: string[] = [];
    const notices: string[] = [];
    const terminal: Terminal = { write: (text) => out.push(text), notice: (line) => notices.push(line), styled: false };
    const renderer = createReplyRenderer(terminal, 'bot> ');
    renderer.event({ ...base, __typename: 'TokenDelta', text: 'half' });
    renderer.event({ ...base, __typename: 'ReplyRestarted', reason: 'worker lost' });
    renderer.event({ ...base, __typename: 'TokenDelta', text: 'whole' });
    renderer.end();
    expect(out.join('')).toBe('bot> half\nbot> whole\n');
    expect(notices).toEqual(['[the reply starts over: worker lost]']);
  });
});
