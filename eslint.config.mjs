// @ts-check
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'src/generated/**',
      'dist/**',
      'artifacts/**',
      'bench/results/**',
      'node_modules/**',
      '.stack*/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // More than five positional parameters reads as a list to get in order: pass an options object.
      // (Five, not four: graphql-ws's onOperation/onNext hooks take five by its API.)
      'max-params': ['error', 5],
      // A function longer than a few screens hides its steps: name them as helpers. 150 lines as
      // Prettier prints them (blank lines and comments not counted) is what the code meets once the
      // worst factories were split; Prettier's wrapping at 120 columns makes functions ~40 % longer
      // than before it ran. The factories between 100 and 150 (app, ws-server, generate-reply,
      // create-http-server, kafka-publisher, send-message) are the next to split, and the limit can
      // come down as they are.
      'max-lines-per-function': ['error', { max: 150, skipBlankLines: true, skipComments: true, IIFEs: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // A test file's describe callback holds all its cases; its length is the number of cases, not one function's steps.
    files: ['test/**/*.ts'],
    rules: { 'max-lines-per-function': 'off' },
  },
  prettier,
);
