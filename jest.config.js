/** Jest in ESM mode (NestJS 12 is ESM-only); SWC compiles TypeScript with decorator metadata for Nest's DI. */
const swcTypeScript = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: 'inline',
};

// CommonJS packages that require() an ESM-only one: Node 20 does that natively, Jest's module loader
// does not, so these ESM packages are compiled for it (Swagger UI's @fastify/static -> content-disposition).
const ESM_ONLY_REQUIRED_FROM_COMMONJS = ['content-disposition'];

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', swcTypeScript],
    [`node_modules/(${ESM_ONLY_REQUIRED_FROM_COMMONJS.join('|')})/.+\\.js$`]: [
      '@swc/jest',
      { module: { type: 'es6' } },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY_REQUIRED_FROM_COMMONJS.join('|')})/)`],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30_000,
  maxWorkers: 2,
};
