/**
 * Where the client writes. stdout carries only the conversation itself (reply text, and
 * reasoning when asked for), so `npm run chat -- "hi" > reply.txt` captures just that;
 * notices and errors go to stderr.
 */
export interface Terminal {
  write(text: string): void;
  notice(line: string): void;
  /** ANSI styling only when a person is watching. */
  readonly styled: boolean;
}

export const processTerminal = (): Terminal => ({
  write: (text) => void process.stdout.write(text),
  notice: (line) => void process.stderr.write(`${line}\n`),
  styled: process.stdout.isTTY === true,
});
