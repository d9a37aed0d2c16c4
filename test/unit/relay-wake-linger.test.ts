import { lingerFor } from '../../src/infra/redis/redis-relay-wake';

describe('how long a relay wake-up lingers (lingerFor)', () => {
  it('lingers when the relay waited a little for its token: a trickle', () => {
    expect(lingerFor(5, 1.5)).toBe(5);
    expect(lingerFor(5, 6)).toBe(5);
    expect(lingerFor(5, 10)).toBe(5);
  });

  it('claims at once when the token was already waiting: the relay is busy and its claims batch by themselves', () => {
    expect(lingerFor(5, 0.2)).toBe(0);
    expect(lingerFor(5, 1)).toBe(0);
  });

  it('claims at once when the token came after a long wait: commits are sparse, a linger would collect none', () => {
    expect(lingerFor(5, 10.5)).toBe(0);
    expect(lingerFor(5, 5_000)).toBe(0);
  });

  it('scales the trickle window with the linger, and never lingers when it is off', () => {
    expect(lingerFor(20, 35)).toBe(20);
    expect(lingerFor(20, 45)).toBe(0);
    expect(lingerFor(0, 3)).toBe(0);
  });
});
