import { createReplyDeltaWriter } from '../../src/application/reply-delta-writer';

/** An append whose completion the test controls. */
const controlledAppend = () => {
  const written: { kind: string; text: string }[] = [];
  const release: (() => void)[] = [];
  let failWith: Error | undefined;
  const append = (delta: { kind: string; text: string }) =>
    new Promise<void>((resolve, reject) => {
      written.push(delta);
      release.push(() => (failWith ? reject(failWith) : resolve()));
    });
  return { append, written, releaseNext: () => release.shift()?.(), fail: (error: Error) => (failWith = error) };
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('reply delta writer', () => {
  it('writes one event per delta while appends keep up', async () => {
    const a = controlledAppend();
    const writer = createReplyDeltaWriter(a.append);
    for (const text of ['a', 'b', 'c']) {
      writer.push({ kind: 'TOKEN', text });
      await settle();
      a.releaseNext();
      await settle();
    }
    await writer.drain();
    expect(a.written).toEqual([
      { kind: 'TOKEN', text: 'a' },
      { kind: 'TOKEN', text: 'b' },
      { kind: 'TOKEN', text: 'c' },
    ]);
  });

  it('folds the deltas that arrive during an append into one event per run of the same kind, in order', async () => {
    const a = controlledAppend();
    const writer = createReplyDeltaWriter(a.append);
    writer.push({ kind: 'REASONING', text: 'r1' });
    await settle();
    // Arrive while the first append is in flight.
    writer.push({ kind: 'REASONING', text: 'r2' });
    writer.push({ kind: 'TOKEN', text: 'He' });
    writer.push({ kind: 'TOKEN', text: 'llo' });
    writer.push({ kind: 'REASONING', text: 'r3' });
    a.releaseNext();
    await settle();
    a.releaseNext();
    await settle();
    a.releaseNext();
    await settle();
    a.releaseNext();
    await writer.drain();
    expect(a.written).toEqual([
      { kind: 'REASONING', text: 'r1' },
      { kind: 'REASONING', text: 'r2' },
      { kind: 'TOKEN', text: 'Hello' },
      { kind: 'REASONING', text: 'r3' },
    ]);
  });

  it('drain waits for every queued delta', async () => {
    const a = controlledAppend();
    const writer = createReplyDeltaWriter(a.append);
    writer.push({ kind: 'TOKEN', text: 'x' });
    writer.push({ kind: 'TOKEN', text: 'y' });
    let drained = false;
    const draining = writer.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    a.releaseNext();
    await settle();
    expect(drained).toBe(false);
    a.releaseNext();
    await draining;
    expect(a.written.map((d) => d.text).join('')).toBe('xy');
  });

  it('reports the first append failure from drain and from later pushes', async () => {
    const a = controlledAppend();
    const writer = createReplyDeltaWriter(a.append);
    a.fail(new Error('redis down'));
    writer.push({ kind: 'TOKEN', text: 'x' });
    await settle();
    a.releaseNext();
    await expect(writer.drain()).rejects.toThrow('redis down');
    expect(() => writer.push({ kind: 'TOKEN', text: 'y' })).toThrow('redis down');
  });
});
