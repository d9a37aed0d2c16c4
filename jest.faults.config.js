/**
 * Fault tests take infrastructure away (the Kafka broker), so they run after the main suite, one
 * file at a time, against a broker of their own (a free port locked machine-wide, FAULTS_KAFKA_PORT to name one;
 * state in .stack-faults) that their global setup starts and their teardown stops: a broker on
 * 9092, this checkout's or another's, is never stopped and never needed.
 */
const main = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...main,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: [],
  maxWorkers: 1,
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/faults-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/faults-global-teardown.ts',
};
