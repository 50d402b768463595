/**
 * GraphQL Code Generator (`npm run codegen`): typed documents for the dashboard from the committed
 * schema (codegen/schema.graphql) and the graphql() calls in web/src, into codegen/gql/
 * (gitignored; client preset with fragment masking).
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'codegen/schema.graphql',
  documents: ['web/src/**/*.{ts,vue}'],
  ignoreNoDocuments: true,
  generates: {
    'codegen/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        // Relative imports with their extension, so NodeNext code (tests) can import the output too.
        importExtension: '.ts',
        // Enums as `const` objects plus a union type: drop-downs list Object.values(Platform) etc.
        enumType: 'const',
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
};

export default config;
