// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['src/generated/**', 'dist/**', 'artifacts/**', 'bench/results/**', 'node_modules/**', '.stack*/**', 'coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // More than four positional parameters reads as a list to get in order: pass an options object.
      'max-params': ['error', 4],
      // A function longer than a screen hides its steps: name them as helpers.
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // A test file's describe callback holds all its cases; its length is the number of cases, not one function's steps.
    files: ['test/**/*.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
  prettier,
);
