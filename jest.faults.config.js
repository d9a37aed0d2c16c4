/**
 * Fault tests take shared infrastructure away (the Kafka broker), so they run after the
 * main suite, one file at a time, with nothing else running beside them.
 */
const main = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...main,
  roots: ['<rootDir>/test/faults'],
  testPathIgnorePatterns: [],
  maxWorkers: 1,
  testTimeout: 120_000,
};
