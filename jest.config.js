/**
 * Tests run as native ES modules; SWC strips the types. Three tiers, told apart by file name:
 * - unit `*.test.ts`: pure, no server, no emulator, a second or two each (`npm run test:unit`);
 * - integration `*.integration.test.ts`: start the local AWS, dynalite or a loopback HTTP server, or run
 *   state machines (`npm run test:integration`);
 * - slow `*.slow.test.ts`: package the stack, run fleets or the benchmark, or take more than ~10 s
 *   (`npm run test:slow`).
 * `npm test` runs all three in one jest run, with coverage of src/.
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  testPathIgnorePatterns: ['/node_modules/', '/.serverless/'],
};

const tier = (displayName, testMatch, ignore = []) => ({
  ...shared,
  displayName,
  testMatch: [`<rootDir>/**/${testMatch}`],
  testPathIgnorePatterns: [...shared.testPathIgnorePatterns, ...ignore],
});

export default {
  // A run-wide option: jest does not read it from a project.
  testTimeout: 30000,
  projects: [
    tier('unit', '*.test.ts', ['\\.integration\\.test\\.ts$', '\\.slow\\.test\\.ts$']),
    tier('integration', '*.integration.test.ts'),
    tier('slow', '*.slow.test.ts'),
  ],
  // Read when coverage is on (`npm test`): src/ is the code that is deployed; the threshold sits a little
  // below the coverage measured with every tier, so a change that leaves new code untested fails.
  collectCoverageFrom: ['src/**/*.ts'],
  coverageProvider: 'babel',
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: { global: { statements: 93, branches: 84, functions: 95, lines: 94 } },
};
