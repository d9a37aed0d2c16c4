/** Stops containers that global-setup started; the local stack is left running for the next run. */
export default async function globalTeardown() {
  const containers = (globalThis as Record<string, unknown>)['__containers'] as
    { stop(): Promise<unknown> }[] | undefined;
  await Promise.all((containers ?? []).map((container) => container.stop()));
}
