import { chromium } from '@playwright/test'
import { ServerProcess } from '@mooring/testing'
import { CHROMIUM_ARGS, findChromium } from '../scripts/chromium-path.mjs'
import { expect, test } from './fixtures.js'

// One restartable mooring-server process per test, on its own port; the pages come from the
// e2e server and connect to it cross-origin.
const withServer = test.extend<{ mooring: ServerProcess }>({
  mooring: async ({}, use) => {
    const server = await ServerProcess.start({ args: ['--heartbeat-interval-ms', '2000'] })
    try {
      await use(server)
    } finally {
      await server[Symbol.asyncDispose]()
    }
  },
})

withServer('offline, a server restart, then online: open again within 1 s of the server being reachable', async ({ page, context, e2eServer, mooring }) => {
  await page.goto(`${e2eServer.url}/resilience.html?ws=${encodeURIComponent(mooring.url)}`)
  await expect(page.locator('#state')).toHaveText('open')

  await context.setOffline(true)
  await mooring.kill('SIGKILL')
  await expect(page.locator('#state')).not.toHaveText('open')
  await mooring.restart()
  const reachable = Date.now()
  await context.setOffline(false)
  await expect(page.locator('#state')).toHaveText('open', { timeout: 5000 })
  const tookMs = Date.now() - reachable
  console.log(`e2e: open again ${tookMs} ms after the server was reachable and the browser online`)
  expect(tookMs).toBeLessThanOrEqual(1000)
  await expect(page.locator('#ready')).toHaveText('2')
})

withServer('hidden → visible sends a probe ping on a live link', async ({ page, context, e2eServer, mooring }) => {
  await page.goto(`${e2eServer.url}/resilience.html?ws=${encodeURIComponent(mooring.url)}`)
  await expect(page.locator('#state')).toHaveText('open')
  const sent: string[] = []
  // Watch the page's frames through the browser itself.
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  cdp.on('Network.webSocketFrameSent', ({ response }) => sent.push(response.payloadData))

  // Headless Chromium keeps every page visible (another tab in front does not hide it), so
  // the page's visibility is switched the way the browser reports it: state, then event.
  const setVisibility = (state: 'hidden' | 'visible') =>
    page.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { value, configurable: true })
      document.dispatchEvent(new Event('visibilitychange'))
    }, state)
  await setVisibility('hidden')
  expect(sent.filter((frame) => frame.includes('"t":"ping"'))).toEqual([])
  await setVisibility('visible')
  await expect.poll(() => sent.some((frame) => frame.includes('"t":"ping"'))).toBe(true)
  await expect(page.locator('#state')).toHaveText('open')
})

withServer('the page is bfcache-eligible and resumes after a restore', async ({ e2eServer, mooring }) => {
  // Playwright launches Chromium with --disable-back-forward-cache; this test needs it on.
  const found = findChromium()
  const browser = await chromium.launch({
    ...(found ? { executablePath: found.path } : {}),
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  })
  try {
    const page = await browser.newPage()
    await page.goto(`${e2eServer.url}/resilience.html?ws=${encodeURIComponent(mooring.url)}`)
    await expect(page.locator('#state')).toHaveText('open')
    await page.click('#away')
    await expect(page.locator('#away')).toHaveText('somewhere else')
    // goBack() waits for a navigation that a bfcache restore never reports; go back from the page.
    await page.evaluate(() => history.back())
    await expect(page.locator('#persisted')).toHaveText('true')
    await expect(page.locator('#state')).toHaveText('open')
    await expect(page.locator('#ready')).toHaveText('2')
  } finally {
    await browser.close()
  }
})
