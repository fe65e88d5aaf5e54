/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// swc strips types (tsc --noEmit checks them) and turns the ESM-only dependencies (middy) into CommonJS for Jest.
const transform: Config['transform'] = {
  '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
};
const shared: Config = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/local/runtime/polyfills.ts'],
};

const config: Config = {
  // Starting a local system (handlers, tables) takes seconds on a busy 2-core machine; tests poll with their own
  // deadlines, so this is only the backstop for a hang.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.cjs'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // The long load, fault and crash runs have their own project (npm run test:reliability).
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/reliability/'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/integration/reliability/**/*.test.ts'],
      globalSetup: '<rootDir>/test/helpers/global-setup.ts',
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
    },
    { ...shared, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
  ],
};

export default config;
