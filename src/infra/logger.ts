import pino, { type Logger } from 'pino';
import type { AppConfig } from '../config';

export type { Logger };

/** Structured JSON logs; secrets never reach them because config is redacted before logging. */
export const createLogger = (log: AppConfig['log'], bindings: Record<string, unknown> = {}, destination?: pino.DestinationStream): Logger =>
  pino({ level: log.level, base: { service: 'agent-relay', ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
