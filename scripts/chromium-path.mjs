// Where the Chromium for e2e lives. Shared by scripts/chromium.mjs (which may install it) and
// playwright.config.ts (which launches it), so both always agree on the same binary.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

export const SYSTEM_CHROMIUM = '/usr/bin/chromium'
/** The Debian package that provides SYSTEM_CHROMIUM. */
export const DEBIAN_PACKAGE = 'chromium'

function playwrightChromium() {
  // Playwright's own download lands in ~/.cache/ms-playwright; we never download it here,
  // but use it when a developer already has it.
  const require = createRequire(import.meta.url)
  for (const name of ['playwright-core', '@playwright/test']) {
    try {
      const { chromium } = require(name)
      const path = chromium.executablePath()
      if (path && existsSync(path)) return path
    } catch {
      // not installed, or no browser registry entry for this platform
    }
  }
  return undefined
}

/**
 * @returns {{ path: string, source: string } | undefined} the Chromium to use, first of:
 *   $CHROMIUM_PATH, /usr/bin/chromium, Playwright's own browser.
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    // An explicit choice that points nowhere is a mistake to report, not to paper over.
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, which does not exist`)
    return { path: fromEnv, source: 'CHROMIUM_PATH' }
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { path: SYSTEM_CHROMIUM, source: `Debian package ${DEBIAN_PACKAGE}` }
  const bundled = playwrightChromium()
  if (bundled) return { path: bundled, source: 'Playwright browser cache' }
  return undefined
}

/** Flags that work on these machines (no sandbox as root, no GPU, no calls home). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
