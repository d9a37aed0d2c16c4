import type { DestinationStream } from 'pino';
import PinoPretty from 'pino-pretty';
import type { AppConfig } from '../config';

/**
 * Log lines for a person at a terminal: in development, when stdout is a TTY, pino-pretty turns each
 * record into one coloured line (the config dump at start is left out: it is a screenful). Anywhere
 * else (a pipe, a file, CI, production) the answer is undefined and pino writes JSON as always.
 * pino-pretty runs in this thread (sync), so a crash loses no line.
 */
export const prettyLogStream = (
  env: AppConfig['env'],
  stdoutIsTty: boolean,
  output: NodeJS.WritableStream = process.stdout,
): DestinationStream | undefined =>
  env === 'development' && stdoutIsTty
    ? PinoPretty({
        colorize: true,
        sync: true,
        singleLine: true,
        destination: output,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service,config',
      })
    : undefined;
