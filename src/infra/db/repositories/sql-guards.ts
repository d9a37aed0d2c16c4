import { SOURCE_STATES, targetState, type OutboxEvent } from '../../../domain/outbox-status';
import { NO_TIME_SQL } from '../tables/outbox-messages.table';

/**
 * `status = 'TARGET'` and `status IN (sources)` for one event, straight from the domain's
 * transition table, so SQL guards and the state machine cannot drift apart. MySQL and
 * MariaDB count rows matched, not changed: naming the source states is what makes the
 * affected-row count mean "this transition happened".
 */
export const guard = (event: OutboxEvent) => ({
  set: `status = '${targetState(event)}'`,
  where: `status IN (${SOURCE_STATES[event].map((s) => `'${s}'`).join(', ')})`,
});

/** An unclaimed row: no owner or token, and a claim that expired long ago (the columns hold no NULL). */
export const CLEAR_CLAIM = `claim_owner = '', claim_token = '', claim_expires_at = ${NO_TIME_SQL}`;

/** `CASE id WHEN ? THEN ? … END` (or on another key column) with its parameters, for per-row values in one UPDATE. */
export const caseById = <T>(rows: readonly { id: string; value: T }[], column = 'id') => ({
  sql: `CASE ${column} ${rows.map(() => 'WHEN ? THEN ?').join(' ')} END`,
  params: rows.flatMap((row) => [row.id, row.value]),
});
