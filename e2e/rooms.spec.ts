import type { Browser, BrowserContext, Page } from '@playwright/test'
import { expect, test } from './fixtures.js'

// Two (then three) pages in one room, each in its own browser context so one can go offline
// alone. Pages use the CDN bundle (e2e/pages/rooms.html) against the e2e server's /ws-fast
// (short heartbeat: offline emulation leaves the TCP connection up, so the server learns of a
// page gone offline only from the silence).

interface RoomPage {
  context: BrowserContext
  page: Page
}

async function openRoomPage(browser: Browser, base: string, room: string, name: string, context?: BrowserContext): Promise<RoomPage> {
  const ws = `${base.replace(/^http/, 'ws')}/ws-fast`
  const ctx = context ?? (await browser.newContext())
  const page = await ctx.newPage()
  page.on('pageerror', (error) => console.error(`[${name}] pageerror: ${error.message}`))
  await page.goto(`${base}/rooms.html?room=${encodeURIComponent(room)}&name=${name}&ws=${encodeURIComponent(ws)}`)
  await expect(page.locator('#room-state')).toHaveText('joined')
  return { context: ctx, page }
}

/** A payload with every byte value, in an order a text round trip would mangle. */
const BYTES = Array.from({ length: 1024 }, (_, i) => (i * 131 + (i >> 8)) & 0xff)
const HEX = BYTES.map((b) => b.toString(16).padStart(2, '0')).join('')

test('two pages in one room: presence, text and binary messages, and presence recovery after one goes offline', async ({ browser, e2eServer }) => {
  const room = `room-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const ada = await openRoomPage(browser, e2eServer.url, room, 'ada')
  const bob = await openRoomPage(browser, e2eServer.url, room, 'bob')
  try {
    // Each sees the other.
    await expect(ada.page.locator('#members')).toHaveText('ada,bob')
    await expect(bob.page.locator('#members')).toHaveText('ada,bob')
    await expect(ada.page.locator('#presence-log')).toContainText('+bob')

    // Text, both ways, through room.publish (resolves on the server's ack).
    await ada.page.evaluate(() => (window as any).room.publish('text', { from: 'ada', text: 'hi bob' }))
    await expect(bob.page.locator('#texts')).toContainText('ada: hi bob')
    await bob.page.evaluate(() => (window as any).room.publish('text', { from: 'bob', text: 'hi ada' }))
    await expect(ada.page.locator('#texts')).toContainText('bob: hi ada')

    // Binary: a Uint8Array published by one page arrives byte-identical, as a Uint8Array, on the other.
    await ada.page.evaluate((bytes) => (window as any).room.publish('bytes', new Uint8Array(bytes)), BYTES)
    await expect(bob.page.locator('#bytes')).toHaveText(`Uint8Array:${HEX}`)
    expect(await bob.page.evaluate(() => Array.from((window as any).lastBytes as Uint8Array))).toEqual(BYTES)
    // And through a request: the server's echo handler replies with the same bytes.
    const echoed = await bob.page.evaluate(async (bytes) => {
      const reply = await (window as any).client.request('echo', new Uint8Array(bytes), { timeoutMs: 5000 })
      return { isBytes: reply instanceof Uint8Array, bytes: Array.from(reply as Uint8Array) }
    }, BYTES)
    expect(echoed).toEqual({ isBytes: true, bytes: BYTES })

    // Bob goes offline: Ada sees him leave; Bob's client knows it is not connected.
    await bob.context.setOffline(true)
    await expect(bob.page.locator('#state')).not.toHaveText('open')
    await expect(ada.page.locator('#members')).toHaveText('ada')
    await expect(ada.page.locator('#presence-log')).toContainText('-bob')

    // While he is away, Cy arrives (in Ada's context): only a full list on rejoin can tell Bob.
    const cy = await openRoomPage(browser, e2eServer.url, room, 'cy', ada.context)
    await expect(cy.page.locator('#members')).toHaveText('ada,cy')
    await expect(ada.page.locator('#members')).toHaveText('ada,cy')

    // Back online: Bob rejoins with the full member list; the others see him come back.
    await bob.context.setOffline(false)
    await expect(bob.page.locator('#state')).toHaveText('open')
    await expect(bob.page.locator('#room-state')).toHaveText('joined')
    await expect(bob.page.locator('#members')).toHaveText('ada,bob,cy')
    await expect(bob.page.locator('#presence-log')).toContainText('+cy')
    await expect(ada.page.locator('#members')).toHaveText('ada,bob,cy')
    await expect(cy.page.locator('#members')).toHaveText('ada,bob,cy')
    // Ada saw him arrive, leave, and arrive again — in that order.
    const adaLog = (await ada.page.locator('#presence-log').textContent())!.split(' ').filter((e) => e.endsWith('bob'))
    expect(adaLog).toEqual(['+bob', '-bob', '+bob'])

    // The room works again for the returning page.
    await bob.page.evaluate(() => (window as any).room.publish('text', { from: 'bob', text: 'back' }))
    await expect(ada.page.locator('#texts')).toContainText('bob: back')
    await expect(cy.page.locator('#texts')).toContainText('bob: back')
    await expect(ada.page.locator('#error')).toHaveText('')
  } finally {
    await bob.context.close()
    await ada.context.close()
  }
})
