// Batch times print in local time (as PySpark's pprint): tests run in UTC so expected strings are fixed.
process.env.TZ = 'UTC';
// The SDK's notice that its 2027 releases need Node 22 is harmless here (Lambda runs 22); keep logs readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
};
