/**
 * The integration suite a second time, through the MySQL driver: global setup turns the run's
 * DATABASE_URL into mysql:// (TEST_DATABASE_DRIVER=mysql, set by scripts/run-tests.ts), so every
 * test that opens the database runs @mikro-orm/mysql and mysql2 against the MariaDB server.
 * @type {import('jest').Config}
 */
const main = require('./jest.config.js');

module.exports = { ...main, roots: ['<rootDir>/test/integration'] };
