import type { MigrationObject } from '@mikro-orm/core';
import { InitialMigration20261128130053 } from './20261128130053-initial.migration';

/**
 * Committed migrations, in order. Listing them here (instead of a folder glob) makes
 * them work the same under tsx, Jest and compiled JavaScript.
 */
export const migrationsList: MigrationObject[] = [
  { name: '20261128130053-initial', class: InitialMigration20261128130053 },
];
