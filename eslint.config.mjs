import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { builtinModules } from 'node:module';

/**
 * Workflow code is replayed and must be deterministic: it may not do I/O. Temporal's bundler would
 * only refuse some of these at worker start; the lint refuses all of them at review time. Types may
 * still be imported (erased at compile time), e.g. the activities' signatures.
 */
const WORKFLOW_FORBIDDEN_IMPORTS = {
  paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
    name,
    message: 'Workflow code must be deterministic: no Node built-ins (do I/O in an activity).',
  })),
  patterns: [
    {
      group: [
        'axios',
        '@temporalio/activity',
        '@temporalio/client',
        '@temporalio/worker',
        '**/activities',
        '**/activities/*',
        '**/okta/client',
        '**/okta/transport',
        '**/okta/rate-limiter',
        '**/sinks/*',
        '**/simulator/*',
        '**/sync/staging',
        '**/metrics/connector-metrics',
        '**/metrics/prometheus-exporter',
        '**/metrics/metrics-address',
        '**/cli/*',
        '**/config',
        '**/worker',
      ],
      allowTypeImports: true,
      message:
        'Workflow code must be deterministic: import only types from I/O modules (do I/O in an activity).',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'out/**',
      'coverage/**',
      'bench/results/**',
      'test-artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', WORKFLOW_FORBIDDEN_IMPORTS],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
