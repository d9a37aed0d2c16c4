/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // test/faults stops a broker (its own); it runs alone, after this suite (scripts/run-tests.ts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/faults/'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // Real services: MariaDB, Redis and Kafka come from the environment, Docker, or the stack script.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // A failing test must not leave a consumer or socket holding the run open.
  forceExit: true,
};
