/**
 * What counting a conversation's history with tiktoken costs one send, which is what
 * sendMessage paid on every send before history entries carried their token counts.
 * Usage: npx tsx bench/experiments/token-count-cost.ts
 */
import { createTiktokenCounter } from '../../src/tooling';

const counter = createTiktokenCounter();
const words =
  'the relay claims due rows and publishes them to Kafka while the consumer persists history idempotently'.split(' ');
const text = (chars: number, salt: number) => {
  const out: string[] = [];
  for (let i = 0, length = 0; length < chars; i += 1) {
    const word = words[(i * 7 + salt) % words.length] as string;
    out.push(word);
    length += word.length + 1;
  }
  return out.join(' ');
};

const ROUNDS = 20;
console.log(`tiktoken o200k_base, ${ROUNDS} rounds each, Node ${process.version}`);
for (const [entries, chars] of [
  [12, 100],
  [50, 1_500],
  [200, 1_500],
] as const) {
  const history = Array.from({ length: entries }, (_, i) => text(chars, i));
  for (const entry of history) counter.count(entry); // warm-up
  const started = performance.now();
  let tokens = 0;
  for (let round = 0; round < ROUNDS; round += 1) for (const entry of history) tokens += counter.count(entry);
  const ms = (performance.now() - started) / ROUNDS;
  console.log(`${entries} entries × ${chars} chars: ${ms.toFixed(2)} ms per send to count ${tokens / ROUNDS} tokens`);
}
counter.free();
