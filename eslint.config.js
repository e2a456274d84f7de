import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'coverage/', 'reports/', 'bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // The local AWS is for trying and testing autotap: production code and the operator commands never load it.
    files: ['src/**', 'cli/**', 'functions/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/local/**', '../local', '../../local'], message: 'src/, cli/ and functions/ never import local/ (the local AWS); local/ may import them.' }] }],
    },
  },
);
