import { statSync } from 'node:fs';
import type { Page, WebSocket, WebSocketRoute } from 'playwright-core';
import { launchBrowser, type BrowserSession } from '../support/browser';
import { collectStream, SEND_MESSAGE } from '../support/chat-client';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred, eventually } from '../support/eventually';
import { defaultScript, type FakeOpenAi, type FakeReply } from '../../tools/kit/fake-openai-server';

/**
 * The chat page and GraphiQL in real headless Chromium (Debian's), served by the app itself
 * (bundled from web/ on the first request), against the real pipeline and a fake model that can
 * hold a reply half-way. Screenshots of each step go to artifacts/browser/chat/ (.ci/run copies them
 * into .ci/out/browser/).
 */
describe('the chat page and GraphiQL in a browser', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let browser: BrowserSession;
  let page: Page;
  let first: { conversationId: string; replyId: string };

  /** Holds the next reply after `tokens` content tokens until release() is called. */
  const holdNextReply = (tokens: number, reply: FakeReply = {}) => {
    const gate = deferred();
    model.setScript((body) => ({ ...defaultScript(body), ...reply, holdAfter: { tokens, until: gate.promise } }));
    return { release: () => gate.resolve() };
  };
  const messageBox = () => page.getByRole('textbox', { name: 'Message', exact: true });
  const replyItem = () => page.locator('li.message.assistant').last();
  const replyText = () => replyItem().locator('.text').textContent();
  /** The cursor the page applied last, as it saved it for a reload to resume from. */
  const savedCursor = async () => {
    const conversationId = new URL(page.url()).searchParams.get('c') ?? '';
    const saved = await page.evaluate(`sessionStorage.getItem('agent-relay.reply.${conversationId}')`);
    return (JSON.parse(String(saved)) as { cursor?: string } | null)?.cursor;
  };
  /** The chatStream event cursor of a graphql-ws message (a `next`), if it is one. */
  const cursorOf = (payload: string | Buffer) => {
    const message = JSON.parse(String(payload)) as {
      type: string;
      payload?: { data?: { chatStream?: { cursor?: string } } };
    };
    return message.type === 'next' ? message.payload?.data?.chatStream?.cursor : undefined;
  };

  beforeAll(async () => {
    // No JWT_SECRET: the development secret signs tokens, so the page may offer a development token.
    testApp = await createTestApp(
      {
        MODEL_PROVIDER: 'ark',
        JWT_SECRET: undefined,
        MODEL_WORKER: 'worker-model',
        MODEL_STRATEGIST: 'strategist-model',
      },
      { model: {} },
    );
    model = testApp.model;
    browser = await launchBrowser('chat');
    page = browser.page;
  });
  afterEach(() => model.setScript(defaultScript));
  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
  });

  it('signs in with a development token, streams a reply token by token, then shows the stored message', async () => {
    await page.goto(`${testApp.baseUrl}/`);
    await page.getByRole('button', { name: 'Use a development token' }).waitFor();
    await browser.screenshot('sign-in');
    await page.getByLabel('User id').fill('alice');
    await page.getByRole('button', { name: 'Use a development token' }).click();
    await page.getByText('Signed in as alice').waitFor();

    const hold = holdNextReply(2);
    await page.getByLabel('Thinking').check();
    await messageBox().fill('hello browser world');
    await messageBox().press('Enter');
    // Held after two tokens: the page shows exactly what streamed so far, reasoning first.
    await eventually(async () => expect(await replyText()).toBe('Echo: hello'));
    expect(await replyItem().getAttribute('aria-busy')).toBe('true');
    await replyItem().locator('summary', { hasText: 'Reasoning' }).click();
    expect(await replyItem().locator('details div').textContent()).toBe('Let me think.');
    await browser.screenshot('streaming');
    hold.release();
    await replyItem().and(page.locator('[data-status="completed"]')).waitFor();
    expect(await replyText()).toBe('Echo: hello browser world');
    // The list counts what history stored: it says 2 once the reply is stored, without a reload.
    const listed = page.locator('#conversation-list a[aria-current="page"] small');
    await eventually(async () => expect(await listed.textContent()).toMatch(/^2 messages · /), { timeoutMs: 30_000 });
    // Send sits at the right edge of the composer, as Stop does while it shows.
    const right = (box: { x: number; width: number } | null) => Math.round((box?.x ?? 0) + (box?.width ?? 0));
    expect(right(await page.getByRole('button', { name: 'Send' }).boundingBox())).toBe(
      right(await messageBox().boundingBox()),
    );
    // This screenshot is docs/chat-page.png (copied from artifacts/browser/chat/03-completed.png).
    await browser.screenshot('completed');

    first = {
      conversationId: new URL(page.url()).searchParams.get('c') ?? '',
      replyId: (await replyItem().getAttribute('data-message-id')) ?? '',
    };
    expect(first.conversationId).toMatch(/^[0-9a-f-]{36}$/);
    // The stored message: history (through outbox, relay, Kafka and the consumer) has it after a reload.
    await eventually(
      async () => {
        await page.reload();
        await page.getByText('Signed in as alice').waitFor();
        expect(
          await page
            .locator('li.message')
            .evaluateAll((items) =>
              items.map(
                (item) =>
                  `${item.getAttribute('data-role')}:${item.querySelector('.text')?.textContent}:${item.classList.contains('streaming')}`,
              ),
            ),
        ).toEqual(['USER:hello browser world:false', 'ASSISTANT:Echo: hello browser world:false']);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(await page.locator('#conversation-list li').count()).toBe(1);
    await browser.screenshot('stored');
  });

  it('resumes a reply after a reload mid-reply from its last cursor, without repeated or missing text', async () => {
    await page.getByRole('link', { name: 'New conversation' }).click();
    const received: string[] = [];
    const sent: string[] = [];
    const watch = (socket: WebSocket) => {
      socket.on('framereceived', (frame) => {
        const cursor = cursorOf(frame.payload);
        if (cursor) received.push(cursor);
      });
      socket.on('framesent', (frame) => sent.push(String(frame.payload)));
    };
    page.on('websocket', watch);
    try {
      const hold = holdNextReply(2, { tokens: ['one', ' two', ' three', ' four', ' five'] });
      await messageBox().fill('count to five');
      await page.getByRole('button', { name: 'Send' }).click();
      await eventually(async () => expect(await replyText()).toBe('one two'));
      // What the page applied last is the last event it received: the cursor a reload must resume after.
      const applied = await savedCursor();
      expect(applied).toMatch(/^\d+-\d+$/);
      expect(applied).toBe(received.at(-1));
      sent.length = 0;
      await page.reload();
      await eventually(async () => expect(await replyText()).toBe('one two'));
      const subscribe = await eventually(() => {
        const frame = sent
          .map(
            (payload) => JSON.parse(payload) as { type: string; payload?: { variables?: { after?: string | null } } },
          )
          .find((message) => message.type === 'subscribe');
        expect(frame).toBeDefined();
        return frame;
      });
      expect(subscribe?.payload?.variables?.after).toBe(applied);
      await browser.screenshot('reloaded-mid-reply');
      hold.release();
      await replyItem().and(page.locator('[data-status="completed"]')).waitFor();
      expect(await replyText()).toBe('one two three four five');
      expect(await page.locator('li.message.user .text').allTextContents()).toEqual(['count to five']);
      await browser.screenshot('resumed');
    } finally {
      page.off('websocket', watch);
    }
  });

  it('stops a reply with the Stop button, from the keyboard: the provider request ends, the text so far is kept as partial', async () => {
    await page.getByRole('link', { name: 'New conversation' }).click();
    const hold = holdNextReply(2, { tokens: ['stop', ' me', ' now', ' please'] });
    const abortedBefore = model.aborted.length;
    await messageBox().fill('talk until I stop you');
    await messageBox().press('Enter');
    await eventually(async () => expect(await replyText()).toBe('stop me'));
    const stop = page.getByRole('button', { name: 'Stop', exact: true });
    await stop.focus();
    await browser.screenshot('stop-offered');
    await page.keyboard.press('Enter');
    await replyItem().and(page.locator('[data-status="failed"]')).waitFor();
    expect(await replyText()).toBe('stop me');
    expect(await replyItem().locator('.failure').textContent()).toBe('Reply stopped; the text so far is saved.');
    expect(await page.locator('#announcer').textContent()).toBe('Reply stopped');
    expect(await stop.isHidden()).toBe(true);
    // Focus returns to the message box, not to a hidden button.
    expect(await messageBox().evaluate((box) => box === box.ownerDocument.activeElement)).toBe(true);
    await eventually(() => expect(model.aborted.length).toBe(abortedBefore + 1));
    await browser.screenshot('stopped');
    hold.release();
    await eventually(
      async () => {
        await page.reload();
        await page.getByText('Signed in as alice').waitFor();
        expect(await page.locator('li.message .who').allTextContents()).toEqual(['You', 'Assistant (partial)']);
        expect(await page.locator('li.message.assistant .text').textContent()).toBe('stop me');
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
  });

  it('resumes after a dropped WebSocket mid-reply: graphql-ws reconnects and subscribes again after the last cursor', async () => {
    const sockets: WebSocketRoute[] = [];
    const subscribes: (string | null | undefined)[] = [];
    const received: string[] = [];
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      sockets.push(socket);
      const server = socket.connectToServer();
      server.onMessage((message) => {
        const cursor = cursorOf(message);
        if (cursor) received.push(cursor);
        socket.send(message);
      });
      socket.onMessage((message) => {
        const parsed = JSON.parse(String(message)) as {
          type: string;
          payload?: { variables?: { after?: string | null } };
        };
        if (parsed.type === 'subscribe') subscribes.push(parsed.payload?.variables?.after);
        server.send(message);
      });
    });
    try {
      await page.goto(`${testApp.baseUrl}/`);
      await page.getByText('Signed in as alice').waitFor();
      const hold = holdNextReply(2, { tokens: ['red', ' green', ' blue', ' gold'] });
      await messageBox().fill('four colours');
      await messageBox().press('Enter');
      await eventually(async () => expect(await replyText()).toBe('red green'));
      // The last event that reached the page is the one it applied last.
      const applied = received.at(-1);
      expect(applied).toMatch(/^\d+-\d+$/);
      expect(await savedCursor()).toBe(applied);
      // What a server restart or a network blip does: the socket goes away under the page.
      await sockets.at(-1)?.close({ code: 1001, reason: 'going away' });
      await eventually(() => expect(subscribes).toHaveLength(2));
      expect(subscribes[0]).toBeNull();
      expect(subscribes[1]).toBe(applied);
      hold.release();
      await replyItem().and(page.locator('[data-status="completed"]')).waitFor();
      expect(await replyText()).toBe('red green blue gold');
      await browser.screenshot('reconnected');
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
  });

  it('sends again under the same clientMessageId and the chosen model when the answer to a send is lost, and history holds the message once', async () => {
    const sends: string[] = [];
    await page.route('**/graphql', async (route) => {
      const body = route.request().postData() ?? '';
      if (!body.includes('sendMessage')) return route.fallback();
      sends.push(body);
      if (sends.length > 1) return route.fallback();
      // The request reaches the API and is stored; only its answer is lost on the way back.
      await route.fetch();
      return route.abort('connectionreset');
    });
    try {
      await page.getByRole('link', { name: 'New conversation' }).click();
      await page.getByLabel('Model').selectOption({ label: 'Strategist (harder)' });
      await messageBox().fill('say it once');
      await messageBox().press('Enter');
      await replyItem().and(page.locator('[data-status="completed"]')).waitFor();
      expect(await replyText()).toBe('Echo: say it once');
    } finally {
      await page.unrouteAll({ behavior: 'wait' });
    }
    const inputs = sends.map(
      (body) =>
        (JSON.parse(body) as { variables: { input: { clientMessageId: string; model: string } } }).variables.input,
    );
    expect(inputs).toHaveLength(2);
    expect(inputs[1]?.clientMessageId).toBe(inputs[0]?.clientMessageId);
    expect(inputs.map((input) => input.model)).toEqual(['STRATEGIST', 'STRATEGIST']);
    // The server generated the reply with the strategist's model.
    const asked = model.requests.filter((request) => request.messages?.at(-1)?.content === 'say it once');
    expect(asked.map((request) => request.model)).toEqual(['strategist-model']);
    await eventually(
      async () => {
        await page.reload();
        expect(await page.locator('li.message:not(.streaming) .text').allTextContents()).toEqual([
          'say it once',
          'Echo: say it once',
        ]);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(statSync(await browser.screenshot('sent-once-after-retry')).size).toBeGreaterThan(0);
  });

  it('shows a failed reply with its code and reason', async () => {
    model.setScript(() => ({ status: 400 }));
    await page.getByRole('link', { name: 'New conversation' }).click();
    await messageBox().fill('this one fails');
    await messageBox().press('Enter');
    await replyItem().and(page.locator('[data-status="failed"]')).waitFor();
    expect(await replyItem().locator('.failure').textContent()).toMatch(/^Reply failed \(MODEL_REJECTED\): /);
    expect(await page.getByRole('status').textContent()).toBe('Reply failed: MODEL_REJECTED');
    expect(await page.getByRole('button', { name: 'Send' }).isEnabled()).toBe(true);
    await browser.screenshot('failed');
  });

  it('says "not found" for another user\'s conversation id in the URL', async () => {
    const bob = await testApp.graphql<{ sendMessage: { conversation: { id: string } } }>(
      SEND_MESSAGE,
      { input: { content: 'only for bob' } },
      await testApp.token('bob'),
    );
    const bobsConversation = bob.body.data?.sendMessage.conversation.id;
    expect(bobsConversation).toBeDefined();
    await page.goto(`${testApp.baseUrl}/?c=${bobsConversation}`);
    await page.getByRole('heading', { name: 'Conversation not found' }).waitFor();
    expect(await page.locator('li.message').count()).toBe(0);
    expect(await messageBox().isVisible()).toBe(false);
    await browser.screenshot('not-found');
  });

  it('fits a narrow window: no sideways scrolling, the composer reachable', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(`${testApp.baseUrl}/?c=${first.conversationId}`);
    await page.getByText('Echo: hello browser world').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await messageBox().isVisible()).toBe(true);
    await browser.screenshot('narrow');
    await page.setViewportSize({ width: 1100, height: 760 });
  });

  it('runs { me { userId } } and a chatStream subscription in GraphiQL, signed in with the chat page token', async () => {
    await page.getByRole('link', { name: 'GraphiQL' }).click();
    await page.waitForURL(/\/graphiql$/);
    const run = async (query: string) => {
      await page.goto(`${testApp.baseUrl}/graphiql?query=${encodeURIComponent(query)}`);
      await page.getByRole('button', { name: /Execute query/ }).click();
    };
    await run('{ me { userId } }');
    await eventually(async () =>
      expect(await page.locator('.result-window').textContent()).toContain('"userId": "alice"'),
    );
    await browser.screenshot('graphiql-me');

    await run(
      `subscription { chatStream(conversationId: "${first.conversationId}", replyId: "${first.replyId}") { __typename cursor ... on ReplyCompleted { message { content } } } }`,
    );
    await eventually(async () => {
      const result = (await page.locator('.result-window').textContent()) ?? '';
      expect(result).toContain('"__typename": "ReplyCompleted"');
      expect(result).toContain('"content": "Echo: hello browser world"');
    });
    await browser.screenshot('graphiql-subscription');
  });

  it('signs out, signs in with a pasted token, and lists 21 conversations newest first, 20 at a time', async () => {
    const carol = await testApp.token('carol');
    const created: string[] = [];
    for (let i = 0; i < 21; i += 1) {
      const sent = await testApp.graphql<{ sendMessage: { conversation: { id: string } } }>(
        SEND_MESSAGE,
        { input: { content: `topic ${i}` } },
        carol,
      );
      created.push(sent.body.data?.sendMessage.conversation.id ?? '');
    }
    await page.goto(`${testApp.baseUrl}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Bearer token').fill(`Bearer ${carol}`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as carol').waitFor();
    const listed = () =>
      page
        .locator('#conversation-list a')
        .evaluateAll((links) => links.map((link) => link.getAttribute('data-conversation-id')));
    await eventually(async () => expect(await listed()).toHaveLength(20));
    expect((await listed())[0]).toBe(created.at(-1));
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(async () => expect(await listed()).toEqual([...created].reverse()));
    expect(await page.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false);
    await browser.screenshot('conversations-paged');
  });

  it('shows all of a conversation of 42 messages in order, read 40 at a time', async () => {
    const dave = await testApp.token('dave');
    let conversationId: string | undefined;
    const expected: string[] = [];
    // 21 sends, each after the previous reply completed: user and reply alternate in history.
    for (let i = 1; i <= 21; i += 1) {
      const sent = await testApp.graphql<{ sendMessage: { conversation: { id: string }; replyId: string } }>(
        SEND_MESSAGE,
        { input: { content: `line ${i}`, conversationId } },
        dave,
      );
      const send = sent.body.data?.sendMessage;
      conversationId = send?.conversation.id ?? '';
      await collectStream(testApp.wsClient({ authorization: `Bearer ${dave}` }), {
        conversationId,
        replyId: send?.replyId,
      });
      expected.push(`line ${i}`, `Echo: line ${i}`);
    }
    await eventually(
      async () => {
        const stored = await testApp.graphql<{ conversation: { messageCount: number } }>(
          'query ($id: ID!) { conversation(id: $id) { messageCount } }',
          { id: conversationId },
          dave,
        );
        expect(stored.body.data?.conversation.messageCount).toBe(42);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // Signed in as dave the way a reload finds a signed-in tab (the sign-in forms have tests of their own),
    // set from a page of the same origin that runs no script: the chat page would save its own token meanwhile.
    await page.goto(`${testApp.baseUrl}/healthz`);
    await page.evaluate(`sessionStorage.clear(); sessionStorage.setItem('agent-relay.token', ${JSON.stringify(dave)})`);
    await page.goto(`${testApp.baseUrl}/?c=${conversationId}`);
    await page.getByText('Signed in as dave').waitFor();
    await eventually(async () => expect(await page.locator('li.message .text').allTextContents()).toEqual(expected));
    await browser.screenshot('history-42-messages');
  });

  it('shows a bar linking to GraphiQL and the chat page above Apollo Sandbox, outside its full-screen embed', async () => {
    // A browser of its own: Sandbox asks Apollo's CDN for its app, which the last test must not see.
    const sandbox = await launchBrowser('sandbox');
    try {
      const sandboxPage = sandbox.page;
      await sandboxPage.goto(`${testApp.baseUrl}/graphql`);
      const bar = sandboxPage.getByRole('navigation', { name: 'Other pages' });
      const graphiql = bar.getByRole('link', { name: 'GraphiQL' });
      const barBottom = async () => {
        const box = await bar.boundingBox();
        return (box?.y ?? 0) + (box?.height ?? 0);
      };
      // Offline: Apollo's notice (faded in after a second) shows below the bar.
      const notice = sandboxPage.locator('.fallback');
      await eventually(async () =>
        expect(
          await notice.evaluate((element) => element.ownerDocument.defaultView?.getComputedStyle(element).opacity),
        ).toBe('1'),
      );
      expect((await notice.boundingBox())?.y).toBeGreaterThanOrEqual(await barBottom());
      await sandbox.screenshot('sandbox-offline');
      // Offline the CDN script fails; online it fills #embeddableSandbox with an iframe: put one there as it does.
      const embed = sandboxPage.locator('#embeddableSandbox');
      await embed.evaluate((container) => container.append(container.ownerDocument.createElement('iframe')));
      expect(await bar.isVisible()).toBe(true);
      expect(await bar.getByRole('link', { name: 'chat page' }).isVisible()).toBe(true);
      const barBox = await bar.boundingBox();
      const embedBox = await embed.boundingBox();
      const frameBox = await embed.locator('iframe').boundingBox();
      expect(barBox?.y).toBe(0);
      // The embed (and its iframe) starts where the bar ends and fills the rest of the window.
      expect(embedBox?.y).toBe(await barBottom());
      expect(frameBox?.y).toBe(embedBox?.y);
      expect((embedBox?.y ?? 0) + (embedBox?.height ?? 0)).toBe(760);
      expect(frameBox?.height).toBe(embedBox?.height);
      // Nothing lies over the link: the element at its centre is the link itself.
      const hit = await graphiql.evaluate((link) => {
        const box = link.getBoundingClientRect();
        return link.ownerDocument.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) === link;
      });
      expect(hit).toBe(true);
      await sandbox.screenshot('sandbox-online-embed');
      await graphiql.click();
      await sandboxPage.waitForURL(/\/graphiql$/);
    } finally {
      await sandbox.close();
    }
  });

  it('asked no host but the API for anything, and hit no Content Security Policy error', () => {
    const api = new URL(testApp.baseUrl).host;
    expect(browser.requests.length).toBeGreaterThan(10);
    expect(browser.requests.filter((url) => new URL(url).host !== api)).toEqual([]);
    expect(browser.consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([]);
  });
});
