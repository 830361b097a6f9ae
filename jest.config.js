/**
 * Jest runs the plain TypeScript modules under Node. Specs live in src/__tests__/, in the folders
 * of src/ (src/runs/table.ts → src/__tests__/runs/table.spec.ts); shared helpers beside them.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testRegex: 'src/__tests__/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      { tsconfig: { module: 'commonjs', esModuleInterop: true, strict: true } }
    ]
  }
};
