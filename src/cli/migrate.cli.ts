import { migrateUp, migrationNeeded, withMigrator } from '../infra/db/migrator';
import { loadConfigOrExit } from './load-config-or-exit';

/** `migrate up | down | check | create [name]` against DATABASE_URL. */
const main = async () => {
  const [command = 'up', name] = process.argv.slice(2);
  const { db } = loadConfigOrExit();
  const target = `${db.dbName} on ${new URL(db.url).host}`;
  switch (command) {
    case 'up': {
      const applied = await migrateUp(db);
      console.log(applied.length ? `applied ${applied.join(', ')} to ${target}` : `${target} is up to date`);
      return;
    }
    case 'down': {
      const reverted = await withMigrator(db, async (m) => (await m.down()).map((x) => x.name));
      console.log(reverted.length ? `reverted ${reverted.join(', ')}` : 'nothing to revert');
      return;
    }
    case 'check': {
      await migrateUp(db);
      if (await migrationNeeded(db)) {
        console.error(
          `migration:check failed: the entities differ from the migrated schema of ${target}; run npm run migration:create`,
        );
        process.exitCode = 1;
        return;
      }
      console.log(`migration:check ok: migrations and entities agree on ${target}`);
      return;
    }
    case 'create': {
      const result = await withMigrator(db, (m) => m.createMigration(undefined, false, false, name ?? 'change'));
      console.log(
        result.fileName ? `wrote ${result.fileName}; add it to src/infra/db/migrations/index.ts` : 'no schema changes',
      );
      return;
    }
    default:
      console.error(`unknown command ${command}; use up, down, check or create [name]`);
      process.exitCode = 1;
  }
};

main().catch((error: unknown) => {
  console.error(`migrate failed: ${(error as Error).message}`);
  process.exit(1);
});
