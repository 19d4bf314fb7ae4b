import base from './jest.config.js';

/** The unit specs beside the pure logic, without the database: what `npm run test:mutation` runs per mutant. */
export default {
  ...base,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
