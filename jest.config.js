/** Tests run as native ES modules; SWC strips the types. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } }],
  },
  testMatch: ['**/tests/**/*.test.ts', '**/src/**/*.test.ts', '**/local/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.serverless/'],
  testTimeout: 30000,
};
