import type { Logger } from '../../../src/domain/ports/logger';

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  readonly level: LogLevel;
  readonly fields: Record<string, unknown>;
  readonly message: string | undefined;
}

export interface RecordingLogger extends Logger {
  readonly entries: readonly LogEntry[];
  at(level: LogLevel): LogEntry[];
}

/** A Logger that keeps every entry (children included, with their bindings) for assertions. */
export const createRecordingLogger = (
  entries: LogEntry[] = [],
  bindings: Record<string, unknown> = {},
): RecordingLogger => {
  const log =
    (level: LogLevel) =>
    (fieldsOrMessage: object | string, message?: string): void => {
      if (typeof fieldsOrMessage === 'string')
        entries.push({ level, fields: { ...bindings }, message: fieldsOrMessage });
      else entries.push({ level, fields: { ...bindings, ...fieldsOrMessage }, message });
    };
  return {
    entries,
    at: (level) => entries.filter((entry) => entry.level === level),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (more) => createRecordingLogger(entries, { ...bindings, ...more }),
  };
};
