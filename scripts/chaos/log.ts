import { setTimeout as sleepFor } from 'node:timers/promises';

const started = Date.now();

/** Seconds since the run started, as printed in every line and in the faults table. */
export const elapsed = (at = Date.now()) => ((at - started) / 1000).toFixed(1);

export const say = (message: string) => console.log(`[chaos +${elapsed()}s] ${message}`);

export const sleep = (ms: number) => sleepFor(ms);

/** The last `lines` lines of a text, for logs of a process that died. */
export const tailOf = (text: string, lines = 30) => text.trimEnd().split('\n').slice(-lines).join('\n');
