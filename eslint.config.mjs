// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { NODE_BUILTINS, SANDBOX_FOLDERS, layersPlugin } from './eslint/layers.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bin/', 'test/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    // The dependency rule between the folders of src/ (ARCHITECTURE.md, "Layers").
    files: ['src/**/*.ts'],
    plugins: { flora: layersPlugin },
    rules: { 'flora/layers': 'error' },
  },
  {
    // Workflow code (and the pure code it imports) runs in Temporal's deterministic sandbox: no Node
    // built-ins (every one node:module lists), no HTTP client.
    files: SANDBOX_FOLDERS.map((folder) => `src/${folder}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.map((name) => ({ name, message: 'Workflow code must not use Node built-ins.' })),
            { name: 'undici', message: 'Workflow code must not do I/O; call an activity.' },
            { name: '@temporalio/activity', message: 'Activities are imported as types only.' },
            { name: '@temporalio/client', message: 'Not sandbox-safe.' },
            { name: '@temporalio/worker', message: 'Not sandbox-safe.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'Workflow code must not use Node built-ins.' },
            {
              group: ['**/activities', '**/activities/*', '**/flora/client', '**/flora/http'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI loads each command's heavy dependencies (Temporal client, worker, simulator) with a typed
    // `require(...) as typeof import-type` inside the action, so `--help` stays fast. A dynamic
    // `import()` would need the ESM loader, which tsx does not install for this CommonJS package.
    files: ['src/cli/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
