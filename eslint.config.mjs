import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const awsSdk = {
  patterns: [
    {
      group: ['@aws-sdk/*', 'aws-lambda', '@aws-lambda-powertools/*', '@smithy/*'],
      message:
        'Only lib/state, lib/sinks, lib/sources, lib/runtime and lib/local may import AWS SDK or Lambda types (STYLE: runner boundary).',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Operators augment `interface DStream<T>`; merged declarations must repeat the type parameter.
    files: ['lib/dstream/**', 'lib/sources/**'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^(_|T$)' },
      ],
    },
  },
  {
    files: ['lib/dstream/**', 'lib/plan/**', 'lib/engine/**', 'lib/index.ts'],
    rules: { 'no-restricted-imports': ['error', awsSdk] },
  },
);
