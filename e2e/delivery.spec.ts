import type { BrowserContext, Page } from '@playwright/test'
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium-path.mjs'
import { expect, test } from './fixtures.js'

// A document fulfilled by `page.route` has no server address, so Chromium's Local Network
// Access checks count it as public and block its WebSocket to 127.0.0.1. A real offline app
// (service worker cache) keeps its origin's address space; this flag stands in for that.
const chromium = findChromium()
test.use({
  launchOptions: {
    ...(chromium ? { executablePath: chromium.path } : {}),
    args: [...CHROMIUM_ARGS, '--disable-features=LocalNetworkAccessChecks'],
  },
})

const N = 30

interface Received {
  clientId: string
  i: number
}

async function received(baseUrl: string, run: string): Promise<Received[]> {
  // From the test process, not the page: the page may be offline.
  const response = await fetch(`${baseUrl}/received?run=${encodeURIComponent(run)}`)
  return (await response.json()) as Received[]
}

/**
 * While offline the page cannot load itself from the server; the test process fetches each
 * file and fulfils the request, the way a service worker's cache would serve an offline app.
 */
async function serveWhileOffline(context: BrowserContext, baseUrl: string): Promise<void> {
  await context.route(`${baseUrl}/**`, async (route) => {
    const response = await fetch(route.request().url())
    await route.fulfill({
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: Buffer.from(await response.arrayBuffer()),
    })
  })
}

async function open(page: Page, baseUrl: string) {
  await page.goto(`${baseUrl}/persist.html`)
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'yes')
}

test('messages queued offline survive a reload in IndexedDB and reach the server exactly once when back online', async ({ page, context, e2eServer }) => {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  const run = `run-${Date.now()}-${Math.random()}`
  await serveWhileOffline(context, e2eServer.url)
  await open(page, e2eServer.url)

  await context.setOffline(true)
  const first = await page.evaluate(() => (window as any).persistDemo.start())
  expect(first.queued).toBe(0)
  expect(await page.evaluate(([r, n]) => (window as any).persistDemo.queue(r, n), [run, N] as const)).toBe(N)

  // Still offline: the reload comes from the route above, the outbox from IndexedDB.
  await page.reload()
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'yes')
  const second = await page.evaluate(() => (window as any).persistDemo.start())
  expect(second).toEqual({ clientId: first.clientId, queued: N })
  expect(await received(e2eServer.url, run)).toEqual([])

  await context.setOffline(false)
  await expect
    .poll(async () => (await received(e2eServer.url, run)).length, {
      timeout: 10_000,
      message: `all ${N} at the server; page: ${JSON.stringify(await page.evaluate(() => [(window as any).persistDemo.status(), navigator.onLine]))}`,
    })
    .toBe(N)
  await expect.poll(() => page.evaluate(() => (window as any).persistDemo.status().queued), { timeout: 5000 }).toBe(0)

  const got = await received(e2eServer.url, run)
  expect(got.map((r) => r.i)).toEqual(Array.from({ length: N }, (_, i) => i))
  expect(new Set(got.map((r) => r.clientId))).toEqual(new Set([first.clientId]))

  // Another reload, online: nothing is left to resend, and nothing arrives twice.
  await page.reload()
  await expect(page.locator('body')).toHaveAttribute('data-loaded', 'yes')
  const third = await page.evaluate(() => (window as any).persistDemo.start())
  expect(third).toEqual({ clientId: first.clientId, queued: 0 })
  await expect.poll(() => page.evaluate(() => (window as any).persistDemo.status().ready), { timeout: 5000 }).toBe(true)
  expect(await received(e2eServer.url, run)).toHaveLength(N)
  expect(problems).toEqual([])
})
