import { randomUUID } from 'node:crypto';
import type { AppConfig } from '../../../src/config';
import { benchMessage, openWriter, pool } from '../../lib/outbox';
import type { Progress } from '../../lib/progress';
import type { Scope } from '../../lib/scope';
import type { SqlRunner } from '../../lib/sql';

const MESSAGES_PER_CALL = 100;
const WRITERS = 8;

/**
 * Writes `rows` outbox rows over `conversations` conversations through the real writer use
 * case, batches of up to 100 messages per call (one transaction each), 8 calls at a time.
 */
export const seedOutbox = async (input: {
  scope: Scope;
  config: AppConfig;
  rows: number;
  conversations: number;
  progress: Progress;
}) => {
  const append = await openWriter(input.scope, input.config);
  const calls: { conversationId: string; userId: string; from: number; count: number }[] = [];
  let written = 0;
  for (let c = 0; c < input.conversations; c += 1) {
    const conversationId = randomUUID();
    const share = Math.floor(input.rows / input.conversations) + (c < input.rows % input.conversations ? 1 : 0);
    for (let from = 0; from < share; from += MESSAGES_PER_CALL)
      calls.push({
        conversationId,
        userId: `bench-user-${c % 50}`,
        from,
        count: Math.min(MESSAGES_PER_CALL, share - from),
      });
  }
  const started = performance.now();
  await input.progress.during(
    'seeding outbox',
    () => `${written.toLocaleString('en-US')}/${input.rows.toLocaleString('en-US')} rows written`,
    () =>
      pool(calls.length, WRITERS, async (index) => {
        const call = calls[index];
        if (!call) return;
        const messages = Array.from({ length: call.count }, (_, i) => benchMessage(call.from + i));
        await append({ conversationId: call.conversationId, userId: call.userId, messages });
        written += call.count;
      }),
  );
  return { rows: written, calls: calls.length, durationMs: performance.now() - started };
};

/** Copies conversations and outbox rows (all PENDING) to a second, migrated database on the same server. */
export const copyOutbox = async (sql: SqlRunner, fromDb: string, toDb: string) => {
  await sql.run(`INSERT INTO \`${toDb}\`.conversations SELECT * FROM \`${fromDb}\`.conversations`);
  return sql.run(`INSERT INTO \`${toDb}\`.outbox_messages SELECT * FROM \`${fromDb}\`.outbox_messages`);
};
