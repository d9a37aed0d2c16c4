import { MySqlPlatform, type AbstractSqlConnection } from '@mikro-orm/knex';
import { MariaDbDriver, MariaDbPlatform } from '@mikro-orm/mariadb';
import { MySqlDriver } from '@mikro-orm/mysql';
import { createPipelineFixture, type PipelineFixture } from '../support/pipeline-fixture';

/**
 * The driver this run really uses. npm test runs this suite twice; the second pass
 * (TEST_DATABASE_DRIVER=mysql, jest.mysql.config.js) exists to execute the MySQL driver's code
 * path, so it must fail here if the URL still selects the MariaDB driver (a global setup that
 * forgot the rewrite, a default that crept back) instead of passing with the wrong driver.
 */
const mysqlPass = process.env['TEST_DATABASE_DRIVER'] === 'mysql';

describe("the run's database driver", () => {
  let f: PipelineFixture;
  beforeAll(async () => {
    f = await createPipelineFixture();
  });
  afterAll(() => f.close());

  const scheme = () => new URL(process.env['DATABASE_URL'] ?? '').protocol.replace(/:$/, '');

  it(
    mysqlPass
      ? 'is the MySQL driver end to end (TEST_DATABASE_DRIVER=mysql)'
      : "follows the run's URL scheme end to end",
    async () => {
      const driver = mysqlPass ? 'mysql' : scheme();
      expect(f.config.db.driver).toBe(driver);
      expect(f.database.driver).toBe(driver);
      const orm = f.database.orm();
      const platform = orm.em.getPlatform();
      const knex = (orm.em.getConnection() as AbstractSqlConnection).getKnex();
      if (driver === 'mysql') {
        expect(orm.config.getDriver()).toBeInstanceOf(MySqlDriver);
        expect(platform).toBeInstanceOf(MySqlPlatform);
        // MariaDbPlatform extends MySqlPlatform: the MySQL path is "MySQL and not MariaDB".
        expect(platform).not.toBeInstanceOf(MariaDbPlatform);
        expect(orm.config.getDriver()).not.toBeInstanceOf(MariaDbDriver);
        expect(knex.client.driverName).toBe('mysql2');
      } else {
        expect(orm.config.getDriver()).toBeInstanceOf(MariaDbDriver);
        expect(platform).toBeInstanceOf(MariaDbPlatform);
        expect(knex.client.driverName).toBe('mariadb');
      }
      // A statement really goes through it.
      expect(await orm.em.getConnection().execute('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    },
  );
});
