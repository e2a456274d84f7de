import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The only JavaScript files the repository may hold. Everything else is TypeScript, type-checked.
 * Thin entry points exist because a tool loads them by path (the CLI's shebang, serverless's `${file()}`,
 * serverless's `plugins:` list) and must stay a few lines that hand over to TypeScript.
 */
const jsEntryPoints = [
  'bin/autotap.js',
  'deploy/serverless.js',
  'deploy/package-limits-plugin.js',
  'deploy/stage-checks-plugin.js',
];
/** Tool configuration read by the tool itself as JavaScript. */
const jsToolConfigs = ['eslint.config.js', 'jest.config.js'];
/**
 * Whole stack-assembly modules still written in JavaScript. Each is on its way to TypeScript behind a thin
 * entry point at the same path: when one is, move it to `jsEntryPoints` (where its length is limited).
 */
/** @type {string[]} */
const jsAwaitingTypeScript = [];
/** How long a thin entry point may be, in lines: a guard, an import and a hand-over. */
const ENTRY_POINT_MAX_LINES = 30;

/** Layering: the local AWS is for tests and local runs only; nothing deployed or run against an account uses it. */
const noLocal = {
  regex: '(^|/)local(/|$)',
  message:
    'local/ is the local AWS (emulator, runner, benchmark); deployed code and operator commands never import it.',
};
/** Layering: the domain decides, adapters talk to AWS and Slack; the domain declares ports and never imports one. */
const noAdapter = {
  regex: '^(\\.{1,2}/)+(aws|slack)(/|$)',
  message:
    'Domain modules never import an adapter (src/aws, src/slack): declare the port in the domain and let the caller pass the adapter.',
};
const noSdk = {
  group: ['@aws-sdk/*', '@smithy/*'],
  message: 'AWS access lives in the src/aws adapters, which turn SDK errors into domain errors.',
};
const restrictImports = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
/** `no-restricted-imports` sees static imports only; an `import()` of local/ is refused the same way. */
const noDynamicLocal = {
  'no-restricted-syntax': [
    'error',
    { selector: 'ImportExpression[source.value=/(^|\\u002F)local(\\u002F|$)/]', message: noLocal.message },
  ],
};
/** The domain modules, which hold the decisions and depend on nothing outside src/ but each other, zod and node:. */
const domainModules = [
  'src/mirroring/**',
  'src/detections/**',
  'src/config/**',
  'src/organization/**',
  'src/observability/**',
  'src/validation.ts',
  'src/batches.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'coverage/', 'reports/', 'bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Type-aware rules for the TypeScript sources (the .js files are outside the TypeScript project).
  ...tseslint.configs.recommendedTypeCheckedOnly.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // An async function without await is how a handler or an in-memory port keeps the Promise its
      // interface promises; the rule's alternative, wrapping each value in Promise.resolve, reads worse.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['tests/**/*.ts'],
    rules: {
      // jest's asymmetric matchers (expect.any, expect.stringContaining, expect.objectContaining) are typed
      // `any`, and a test puts them in the objects it compares. Member access on `any` is still refused.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  // Layering. A file gets the last matching `no-restricted-imports`, so each block lists every pattern it needs.
  {
    files: ['src/**', 'functions/**', 'cli/**', 'deploy/**'],
    rules: { ...restrictImports(noLocal), ...noDynamicLocal },
  },
  { files: domainModules, rules: restrictImports(noLocal, noAdapter, noSdk) },
  // No JavaScript source outside the allow-lists above.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ignores: [...jsEntryPoints, ...jsToolConfigs, ...jsAwaitingTypeScript],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Program',
          message:
            'Source is TypeScript. A .js file is allowed only as a thin entry point or tool configuration listed in eslint.config.js.',
        },
      ],
    },
  },
  {
    files: jsEntryPoints,
    rules: { 'max-lines': ['error', { max: ENTRY_POINT_MAX_LINES, skipBlankLines: true, skipComments: true }] },
  },
);
