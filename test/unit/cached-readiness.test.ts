import { cachedReadiness } from '../../src/server/cached-readiness';

describe('cached readiness', () => {
  it('runs one check per ttl however often it is asked, sharing a check in flight', async () => {
    let now = 0;
    let checks = 0;
    const readiness = cachedReadiness(
      async () => ({ ready: true, checks: { n: (checks += 1) } }),
      1_000,
      () => now,
    );
    const answers = await Promise.all(Array.from({ length: 50 }, () => readiness()));
    expect(checks).toBe(1);
    expect(new Set(answers).size).toBe(1);
    now = 999;
    await readiness();
    expect(checks).toBe(1);
    now = 1_000;
    expect(await readiness()).toEqual({ ready: true, checks: { n: 2 } });
  });

  it('does not remember a check that threw', async () => {
    let fail = true;
    const readiness = cachedReadiness(
      async () => {
        if (fail) throw new Error('down');
        return 'ok';
      },
      1_000,
      () => 0,
    );
    await expect(readiness()).rejects.toThrow('down');
    fail = false;
    await expect(readiness()).resolves.toBe('ok');
  });
});
