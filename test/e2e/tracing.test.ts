import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { SEND_MESSAGE } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { eventually } from '../support/eventually';

interface LogLine {
  msg?: string;
  traceId?: string;
  eventId?: string;
  conversationId?: string;
  seq?: number;
  level?: number;
}

describe('trace context from the request to history', () => {
  const lines: LogLine[] = [];
  let testApp: TestApp;

  beforeAll(async () => {
    // pino writes one JSON line per call to `write`: keep them, parsed.
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
    testApp = await createTestApp({ LOG_LEVEL: 'debug' }, { logger });
  });
  afterAll(async () => {
    await testApp.close();
  });

  it("logs the consumer's persist of a message with the trace id of the request that wrote it", async () => {
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(testApp.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await testApp.token()}`,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({ query: SEND_MESSAGE, variables: { input: { content: 'trace me' } } }),
    });
    const body = (await response.json()) as { data?: { sendMessage: { conversation: { id: string } } } };
    const conversationId = body.data?.sendMessage.conversation.id;
    expect(conversationId).toBeDefined();

    const persisted = (seq: number) =>
      lines.find((l) => l.msg === 'history message persisted' && l.conversationId === conversationId && l.seq === seq);
    // seq 1 is the user's message; seq 2 the assistant's reply, written later by the detached generation.
    const [user, reply] = await eventually(
      () => {
        const found = [persisted(1), persisted(2)];
        expect(found).toEqual([expect.anything(), expect.anything()]);
        return found;
      },
      { timeoutMs: 20_000 },
    );
    expect(user).toMatchObject({ traceId, level: 20, eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(reply).toMatchObject({ traceId });
  });
});
