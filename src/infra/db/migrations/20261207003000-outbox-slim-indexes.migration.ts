import { Migration } from '@mikro-orm/migrations';

/**
 * Drops the three status-led indexes that only ops listing, the oldest-pending gauge, the
 * sweeper and retention read: each status change (PENDING → PUBLISHED → CONSUMED) rewrote an
 * entry in every one of them. Those readers walk outbox_claim_idx (status, id) instead.
 */
export class OutboxSlimIndexesMigration20261207003000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'alter table `outbox_messages` drop index `outbox_status_created_idx`, drop index `outbox_status_consumed_idx`, drop index `outbox_status_published_idx`;',
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      'alter table `outbox_messages` add index `outbox_status_created_idx`(`status`, `created_at`), add index `outbox_status_consumed_idx`(`status`, `consumed_at`), add index `outbox_status_published_idx`(`status`, `published_at`);',
    );
  }
}
