import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their `src/` through the `source` export condition,
// so tests never need a build first.
const conditions = ['source', 'module', 'browser', 'import', 'default']
const nodeConditions = ['source', 'node', 'import', 'default']

const shared = {
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: ['node', 'import'] } },
}

export default defineConfig({
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          // The leak tests measure heap after a forced GC.
          execArgv: ['--expose-gc'],
          include: ['packages/*/test/**/*.test.{ts,tsx}'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        ...shared,
        test: {
          name: 'integration',
          execArgv: ['--expose-gc'],
          include: ['packages/*/test/**/*.int.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['packages/*/test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
    ],
  },
})
