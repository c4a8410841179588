import type { Page } from '@playwright/test'
import { expect, test } from './fixtures.js'

const TEXT = 'hello from the page'

/** Page errors and failed requests, so a broken build fails with its own message. */
function watchPage(page: Page) {
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`)
  })
  const scripts: string[] = []
  page.on('request', (request) => {
    if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname)
  })
  return { problems, scripts }
}

for (const { page: file, build } of [
  { page: 'iife.html', build: 'the CDN bundle (global Mooring)' },
  { page: 'esm.html', build: 'the ESM build through an import map' },
]) {
  test(`a page using ${build} connects, sends and receives the echo`, async ({ page, e2eServer }) => {
    const watched = watchPage(page)
    await page.goto(`${e2eServer.url}/${file}`)

    await expect(page.locator('#state')).toHaveText('open')
    await expect(page.locator('#received')).toHaveText(TEXT)
    await expect(page.locator('#acked')).toHaveText('yes')
    await expect(page.locator('#error')).toHaveText('')
    expect(watched.problems).toEqual([])
  })
}

test('the CDN bundle needs no other script: every dependency is inside it', async ({ page, e2eServer }) => {
  const watched = watchPage(page)
  await page.goto(`${e2eServer.url}/iife.html`)
  await expect(page.locator('#state')).toHaveText('open')

  expect([...watched.scripts].sort()).toEqual(['/client/mooring.min.js', '/demo.js'])
  const exported = await page.evaluate(() => Object.keys((window as unknown as { Mooring: object }).Mooring))
  expect(exported).toContain('createClient')
})
