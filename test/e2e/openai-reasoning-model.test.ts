import { collectStream, SEND_MESSAGE, textOf } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';
import { OPENAI_HIDDEN_REASONING_TOKENS, openAiDialect } from '../../tools/kit/provider-dialects';

interface SendResult {
  sendMessage: { conversation: { id: string }; replyId: string };
}

/**
 * `model: STRATEGIST` as a new user gets it: the app's defaults (MODEL_PROVIDER openai,
 * MODEL_STRATEGIST o3-mini, nothing set) against a fake that follows OpenAI's rules, which refuse
 * `max_tokens` and sampling parameters for o-series models with a 400. The first turn must go
 * through: the request carries max_completion_tokens, and the reply completes with usage that
 * counts the model's hidden reasoning.
 */
describe('sendMessage(model: STRATEGIST) with the default openai profile against the OpenAI rules', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp(
      {},
      { model: { dialect: openAiDialect, script: () => ({ tokens: ['Thought', ' it', ' through.'] }) } },
    );
  });
  afterAll(() => testApp.close());

  it('sends max_completion_tokens and no temperature or max_tokens, and the reply completes', async () => {
    const { llm } = testApp.config;
    expect(llm.provider).toBe('openai');
    expect(llm.models.STRATEGIST.name).toBe('o3-mini');

    const token = await testApp.token('olivia');
    const response = await testApp.graphql<SendResult>(
      SEND_MESSAGE,
      { input: { content: 'plan my week', model: 'STRATEGIST' } },
      token,
    );
    expect(response.body.errors).toBeUndefined();
    const sent = response.body.data?.sendMessage;
    if (!sent) throw new Error('no sendMessage result');

    const client = testApp.wsClient({ authorization: `Bearer ${token}` });
    const outcome = await collectStream(client, { conversationId: sent.conversation.id, replyId: sent.replyId });
    expect(outcome.errors).toBeUndefined();
    expect(outcome.events.map((event) => event.__typename)).not.toContain('ReplyFailed');
    expect(textOf(outcome.events)).toBe('Thought it through.');
    expect(outcome.events.at(-1)).toMatchObject({
      __typename: 'ReplyCompleted',
      message: { content: 'Thought it through.', model: 'o3-mini', partial: false },
      usage: { completionTokens: 3 + OPENAI_HIDDEN_REASONING_TOKENS },
    });

    expect(testApp.model.requests).toHaveLength(1);
    const request = testApp.model.requests[0];
    expect(request).toMatchObject({
      model: 'o3-mini',
      stream: true,
      max_completion_tokens: llm.models.STRATEGIST.maxOutputTokens,
    });
    expect(request).not.toHaveProperty('max_tokens');
    expect(request).not.toHaveProperty('temperature');
    expect(request).not.toHaveProperty('top_p');

    await eventually(async () =>
      expect(
        await testApp.sql.query<{ role: string; content: string; partial: number }>(
          'SELECT role, content, `partial` FROM chat_messages WHERE conversation_id = ? ORDER BY seq',
          [sent.conversation.id],
        ),
      ).toEqual([
        { role: 'user', content: 'plan my week', partial: 0 },
        { role: 'assistant', content: 'Thought it through.', partial: 0 },
      ]),
    );
  });
});
