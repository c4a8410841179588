import { defineConfig, devices } from '@playwright/test'
import { CHROMIUM_ARGS, findChromium } from './scripts/chromium-path.mjs'

// `node scripts/chromium.mjs` installs it when missing; here we only point Playwright at it.
const chromium = findChromium()
const CI = Boolean(process.env.CI)

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  // Two cores: one worker in CI keeps Chromium and the server from starving each other.
  workers: CI ? 1 : 2,
  fullyParallel: false,
  forbidOnly: CI,
  retries: 0,
  timeout: 30_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  use: {
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          ...(chromium ? { executablePath: chromium.path } : {}),
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
})
