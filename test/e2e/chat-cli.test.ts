import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { mintToken } from '../../src/infra/auth/jwt';
import { localReply } from '../../src/infra/llm/local-chat-model';
import { createTestApp, type TestApp } from '../support/create-test-app';
import { deferred, eventually } from '../support/eventually';
import type { FakeOpenAi } from '../../tools/kit/fake-openai-server';
import { createTcpProxy } from '../../tools/kit/tcp-proxy';

const root = path.resolve(__dirname, '../..');
const WAIT_MS = 20_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the chat CLI as a real process; nothing from the test's environment leaks in but PATH. */
const runChat = (args: string[], env: Record<string, string> = {}) => {
  const child = spawn(path.join(root, 'node_modules/.bin/tsx'), ['src/cli/chat.cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'], ...env } as NodeJS.ProcessEnv,
  });
  const output = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output[stream] += chunk.toString('utf8');
    waiters.forEach((check) => check());
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  const exited = new Promise<Exit>((resolve) => child.on('close', (code) => resolve({ code, ...output })));
  const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_MS);
  void exited.then(() => clearTimeout(timer));

  /** Resolves with the first match of `pattern` in the stream; rejects if the process exits first. */
  const waitFor = (stream: 'stdout' | 'stderr', pattern: RegExp) => {
    const found = deferred<RegExpExecArray>();
    const check = () => {
      const match = pattern.exec(output[stream]);
      if (match) found.resolve(match);
    };
    waiters.push(check);
    check();
    void exited.then((exit) =>
      found.reject(
        new Error(
          `chat exited (${exit.code}) before ${stream} matched ${pattern}\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`,
        ),
      ),
    );
    return found.promise;
  };
  return { child, exited, waitFor };
};

const conversationIdIn = (stderr: string) => /conversation ([0-9a-f-]{36})/.exec(stderr)?.[1];

/** A port nothing listens on: bound, then released. */
const closedPort = async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

const HISTORY = `query History($id: ID!) {
  conversation(id: $id) { id messageCount messages(first: 10) { edges { node { role content } } } }
}`;

interface HistoryData {
  conversation: {
    id: string;
    messageCount: number;
    messages: { edges: { node: { role: string; content: string } }[] };
  } | null;
}

describe('npm run chat, against the built-in local model', () => {
  let testApp: TestApp;
  let token: string;
  const replyTo = (content: string) => localReply([{ role: 'user', content }]);

  beforeAll(async () => {
    testApp = await createTestApp();
    token = await testApp.token('chat-cli-user');
  });
  afterAll(() => testApp.close());

  it('sends one message, streams the reply to stdout, prints the conversation id to stderr and exits 0', async () => {
    const { code, stdout, stderr } = await runChat(['--url', testApp.url, '--token', token, 'hello world']).exited;
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${replyTo('hello world')}\n` });
    expect(conversationIdIn(stderr)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('continues a conversation given with --conversation', async () => {
    const first = await runChat(['--url', testApp.url, '--token', token, 'hello world']).exited;
    const id = conversationIdIn(first.stderr) ?? '';
    const second = await runChat(['--url', testApp.url, '--token', token, '--conversation', id, 'and again']).exited;
    expect(second).toMatchObject({ code: 0, stdout: `${replyTo('and again')}\n` });
    expect(conversationIdIn(second.stderr)).toBe(id);
    const expected = ['hello world', replyTo('hello world'), 'and again', replyTo('and again')];
    await eventually(
      async () => {
        const { body } = await testApp.graphql<HistoryData>(HISTORY, { id }, token);
        expect(body.data?.conversation?.messages.edges.map((edge) => edge.node.content)).toEqual(expected);
      },
      { timeoutMs: 30_000 },
    );
  }, 60_000);

  it('streams reasoning with a label before the reply when --thinking is on (plain text when piped)', async () => {
    const { code, stdout } = await runChat([
      '--url',
      testApp.url,
      '--token',
      token,
      '--thinking',
      '--model',
      'strategist',
      'think',
    ]).exited;
    expect(code).toBe(0);
    expect(stdout).toBe(`thinking: Thinking about your message…\n${replyTo('think')}\n`);
  });

  it('exits 1 with one line when the server refuses the token', async () => {
    const forged = await mintToken(
      { ...testApp.config.auth, jwtSecret: 'another-secret-of-at-least-32-characters' },
      { userId: 'mallory' },
    );
    const { code, stdout, stderr } = await runChat(['--url', testApp.url, '--token', forged, 'hello']).exited;
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      'chat: the server refused the token (4403 Forbidden); check --token (expired, or signed with another secret?)\n',
    );
  });

  it('mints a development token with the configured JWT_SECRET when none is given', async () => {
    const { code, stdout, stderr } = await runChat(['--url', testApp.url, '--user', 'dev-42', 'hello'], {
      JWT_SECRET: testApp.config.auth.jwtSecret,
    }).exited;
    expect({ code, stdout }).toEqual({ code: 0, stdout: `${replyTo('hello')}\n` });
    expect(stderr).toMatch(/development token for user "dev-42"/);
  });

  it('exits 1 naming the server it cannot reach', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/graphql`;
    const { code, stderr } = await runChat(['--url', url, '--token', token, 'hello']).exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^chat: cannot reach the server at ws:\/\/127\.0\.0\.1:\d+\/graphql .*is `npm run dev` running\?\n$/,
    );
  });

  it('rejects an unknown --model before connecting', async () => {
    const { code, stdout, stderr } = await runChat(['--url', testApp.url, '--token', token, '--model', 'NOPE', 'hello'])
      .exited;
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe('chat: --model: unknown model "NOPE"; use WORKER or STRATEGIST\n');
  });

  it('prints GraphQL errors with their code and exits 1', async () => {
    const { code, stderr } = await runChat([
      '--url',
      testApp.url,
      '--token',
      token,
      'x'.repeat(testApp.config.chat.maxContentChars + 1),
    ]).exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^chat: error: .+ \(BAD_USER_INPUT\)\n$/);
  });

  it('chats interactively: a prompt, the reply after bot>, /id, then /exit', async () => {
    const chat = runChat(['--url', testApp.url, '--token', token]);
    await chat.waitFor('stdout', /you> $/);
    chat.child.stdin.write('hi\n');
    await chat.waitFor('stdout', new RegExp(`bot> ${literal(replyTo('hi'))}\n`));
    const [, id] = await chat.waitFor('stderr', /conversation ([0-9a-f-]{36})/);
    chat.child.stdin.write('/id\n');
    await chat.waitFor('stdout', new RegExp(`you> ${id}\n`));
    chat.child.stdin.write('/exit\n');
    expect((await chat.exited).code).toBe(0);
  });

  it('answers queued lines in order and quits at end of input (Ctrl-D)', async () => {
    const chat = runChat(['--url', testApp.url, '--token', token]);
    chat.child.stdin.end('first\n/new\nsecond\n');
    const { code, stdout, stderr } = await chat.exited;
    expect(code).toBe(0);
    expect(stdout.indexOf(replyTo('first'))).toBeGreaterThan(-1);
    expect(stdout.indexOf(replyTo('second'))).toBeGreaterThan(stdout.indexOf(replyTo('first')));
    expect(new Set(stderr.match(/conversation [0-9a-f-]{36}/g)).size).toBe(2);
  });
});

describe('npm run chat, against an OpenAI-compatible model', () => {
  let model: FakeOpenAi;
  let testApp: TestApp;
  let token: string;

  beforeAll(async () => {
    testApp = await createTestApp({}, { model: {} });
    model = testApp.model;
    token = await testApp.token('chat-cli-user');
  });
  afterAll(async () => {
    await testApp.close();
  });

  it('prints the failure code and reason to stderr and exits 1 when the reply fails', async () => {
    model.setScript(() => ({ tokens: ['one', ' two', ' three'], cutAfter: 2 }));
    const { code, stdout, stderr } = await runChat(['--url', testApp.url, '--token', token, 'cut please']).exited;
    expect({ code, stdout }).toEqual({ code: 1, stdout: 'one two\n' });
    expect(stderr).toMatch(
      /^reply failed: MODEL_STREAM_CUT: .+ \(the partial reply was saved as message [0-9a-f-]{36}\)$/m,
    );
  });

  const storedAssistant = async (conversationId: string) => {
    const { body } = await testApp.graphql<
      HistoryData & { conversation: { messages: { edges: { node: { partial: boolean } }[] } } }
    >(
      `query Stored($id: ID!) { conversation(id: $id) { messages(first: 10) { edges { node { role content partial } } } } }`,
      { id: conversationId },
      token,
    );
    return body.data?.conversation?.messages.edges.map((edge) => edge.node).filter((node) => node.role === 'ASSISTANT');
  };

  it('stops generating on the first Ctrl-C during a reply, saves the text so far, and keeps the chat open', async () => {
    // Two tokens, then the model goes quiet with the request open: only a stop ends this reply.
    model.setScript(() => ({ tokens: ['half', ' a', ' reply'], stallAfter: 2 }));
    const abortedBefore = model.aborted.length;
    const chat = runChat(['--url', testApp.url, '--token', token]);
    await chat.waitFor('stdout', /you> $/);
    chat.child.stdin.write('go on forever\n');
    await chat.waitFor('stdout', /bot> half a/);
    chat.child.kill('SIGINT');
    await chat.waitFor('stderr', /\[stopping the reply; press Ctrl-C again to quit\]/);
    const [, messageId] = await chat.waitFor(
      'stderr',
      /\[reply stopped; the text so far was saved as message ([0-9a-f-]{36})\]/,
    );
    await eventually(() => expect(model.aborted.length).toBe(abortedBefore + 1));
    chat.child.stdin.write('/exit\n');
    const { code, stderr } = await chat.exited;
    expect(code).toBe(0);
    const conversationId = conversationIdIn(stderr)!;
    await eventually(
      async () =>
        expect(await storedAssistant(conversationId)).toEqual([
          { role: 'ASSISTANT', content: 'half a', partial: true },
        ]),
      { timeoutMs: 15_000 },
    );
    expect(messageId).toBeDefined();
  });

  it('stops a one-shot reply on Ctrl-C: its end is printed, exit 1, the text so far saved', async () => {
    model.setScript(() => ({ tokens: ['held', ' back'], stallAfter: 1 }));
    const chat = runChat(['--url', testApp.url, '--token', token, 'one-shot please']);
    await chat.waitFor('stdout', /held/);
    chat.child.kill('SIGINT');
    const { code, stdout, stderr } = await chat.exited;
    expect({ code, stdout }).toEqual({ code: 1, stdout: 'held\n' });
    expect(stderr).toMatch(
      /\[stopping the reply; press Ctrl-C again to quit\]\n\[reply stopped; the text so far was saved as message [0-9a-f-]{36}\]/,
    );
    const conversationId = conversationIdIn(stderr)!;
    await eventually(
      async () =>
        expect(await storedAssistant(conversationId)).toEqual([{ role: 'ASSISTANT', content: 'held', partial: true }]),
      { timeoutMs: 15_000 },
    );
  });

  it('resumes after the last cursor when the connection drops mid-reply: nothing lost, nothing repeated', async () => {
    const tokens = Array.from({ length: 30 }, (_, i) => ` t${i}`);
    // The rest of the reply waits until the connection was cut, however slow or fast the CLI is.
    const cut = deferred<void>();
    model.setScript(() => ({ tokens, tokenDelayMs: 25, holdAfter: { tokens: 5, until: cut.promise } }));
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: Number(new URL(testApp.url).port) });
    try {
      const chat = runChat(['--url', `ws://127.0.0.1:${proxy.port}/graphql`, '--token', token, 'count please']);
      await chat.waitFor('stdout', / t2 /);
      proxy.cut();
      proxy.restore();
      cut.resolve();
      const { code, stdout, stderr } = await chat.exited;
      expect(stderr).toMatch(/connection lost; resuming the reply/);
      expect({ code, stdout }).toEqual({ code: 0, stdout: `${tokens.join('')}\n` });
    } finally {
      await proxy.close();
    }
  });
});

/** A literal string inside a RegExp. */
function literal(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
