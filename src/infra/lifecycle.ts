import type { Logger } from './logger';

export type ComponentStatus = 'starting' | 'ready' | 'unhealthy' | 'stopped';

/**
 * A stateful adapter: nothing connects or starts a timer until start(). ready()
 * answers whether it can serve right now and never throws.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  ready(): Promise<boolean>;
  /** Why the component runs but cannot do its job right now (e.g. the relay cannot publish); undefined when it can. */
  degraded?(): string | undefined;
}

/** Tracks a component's status and logs each change once. */
export const createStatusTracker = (name: string, logger: Logger) => {
  let status: ComponentStatus = 'stopped';
  return {
    get: () => status,
    set(next: ComponentStatus, detail?: unknown) {
      if (next === status) return;
      status = next;
      const log = next === 'unhealthy' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ component: name, status: next, ...(detail ? { detail: String(detail) } : {}) }, `${name} ${next}`);
    },
  };
};

/** Rejects when the promise does not settle in time; the message names what timed out. */
export const withTimeout = async <T>(what: string, ms: number, promise: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};
