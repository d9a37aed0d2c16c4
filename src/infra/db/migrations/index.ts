import type { MigrationObject } from '@mikro-orm/core';
import { InitialMigration20261128130053 } from './20261128130053-initial.migration';
import { OutboxDiscardMigration20261128132546 } from './20261128132546-outbox-discard.migration';
import { ChatTurnsMigration20261206182834 } from './20261206182834-chat-turns.migration';
import { OutboxLogPositionMigration20261206183000 } from './20261206183000-outbox-log-position.migration';
import { OutboxSlimIndexesMigration20261207003000 } from './20261207003000-outbox-slim-indexes.migration';
import { OutboxFixedWidthMigration20261207150000 } from './20261207150000-outbox-fixed-width.migration';

/**
 * Committed migrations, in order. Listing them here (instead of a folder glob) makes
 * them work the same under tsx, Jest and compiled JavaScript.
 */
export const migrationsList: MigrationObject[] = [
  { name: '20261128130053-initial', class: InitialMigration20261128130053 },
  { name: '20261128132546-outbox-discard', class: OutboxDiscardMigration20261128132546 },
  { name: '20261206182834-chat-turns', class: ChatTurnsMigration20261206182834 },
  { name: '20261206183000-outbox-log-position', class: OutboxLogPositionMigration20261206183000 },
  { name: '20261207003000-outbox-slim-indexes', class: OutboxSlimIndexesMigration20261207003000 },
  { name: '20261207150000-outbox-fixed-width', class: OutboxFixedWidthMigration20261207150000 },
];
