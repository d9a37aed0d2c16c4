import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import type { SendMessageResult } from '../../src/application/send-message.use-case';
import type { ConversationQueries, ConversationView } from '../../src/domain/chat/views';
import { DateTime } from '../../src/resolvers/date-time.scalar';
import { sendMessagePayloadResolvers } from '../../src/resolvers/types/send-message-payload.resolver';
import { loadTypeDefs } from '../../src/schema/type-defs';

const stored: ConversationView = {
  id: 'c1',
  userId: 'u1',
  createdAt: new Date('2030-01-01T00:00:00.000Z'),
  messageCount: 7,
  lastMessageAt: new Date('2030-01-02T00:00:00.000Z'),
};

/** The real schema with sendMessage answering `result`, and the payload's resolvers over a counting fake. */
const setup = (created: boolean) => {
  const reads: string[] = [];
  const queries = {
    findForUser: async ({ conversationId }: { conversationId: string }) => (reads.push(conversationId), stored),
  } as unknown as ConversationQueries;
  const result: SendMessageResult = {
    conversation: { id: 'c1', createdAt: new Date('2030-01-03T00:00:00.000Z'), created },
    userMessage: { id: 'm1', seq: created ? 1 : 9, createdAt: new Date('2030-01-03T00:00:00.000Z') },
    replyId: 'r1',
  };
  const schema = makeExecutableSchema({
    typeDefs: loadTypeDefs(),
    resolvers: {
      DateTime,
      Mutation: { sendMessage: () => result },
      SendMessagePayload: sendMessagePayloadResolvers(queries),
    },
  });
  const send = async (selection: string, fragments = '') => {
    const outcome = await execute({
      schema,
      document: parse(
        `mutation { sendMessage(input: { content: "hi" }) { conversation { ${selection} } } } ${fragments}`,
      ),
      contextValue: { principal: { userId: 'u1', roles: [] } },
    });
    expect(outcome.errors).toBeUndefined();
    return (outcome.data as { sendMessage: { conversation: Record<string, unknown> } }).sendMessage.conversation;
  };
  return { send, reads };
};

describe('sendMessage payload: its conversation', () => {
  it('answers the id from the send itself, reading nothing', async () => {
    const { send, reads } = setup(false);
    await expect(send('id __typename')).resolves.toEqual({ id: 'c1', __typename: 'Conversation' });
    expect(reads).toEqual([]);
  });

  it("answers a created conversation's creation time from the send, and reads an older one's", async () => {
    const created = setup(true);
    await expect(created.send('id createdAt')).resolves.toEqual({ id: 'c1', createdAt: '2030-01-03T00:00:00.000Z' });
    expect(created.reads).toEqual([]);
    const older = setup(false);
    await expect(older.send('id createdAt')).resolves.toEqual({ id: 'c1', createdAt: '2030-01-01T00:00:00.000Z' });
    expect(older.reads).toEqual(['c1']);
  });

  it('reads the stored conversation for any other field, also behind inline and named fragments', async () => {
    const direct = setup(true);
    await expect(direct.send('id messageCount')).resolves.toEqual({ id: 'c1', messageCount: 7 });
    expect(direct.reads).toEqual(['c1']);
    const inline = setup(true);
    await expect(inline.send('id ... on Conversation { lastMessageAt }')).resolves.toEqual({
      id: 'c1',
      lastMessageAt: '2030-01-02T00:00:00.000Z',
    });
    expect(inline.reads).toEqual(['c1']);
    const named = setup(true);
    await expect(named.send('...Counts', 'fragment Counts on Conversation { messageCount }')).resolves.toEqual({
      messageCount: 7,
    });
    expect(named.reads).toEqual(['c1']);
  });
});
