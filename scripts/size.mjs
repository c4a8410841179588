// Size budget for what a browser downloads: the client's ESM entry with every runtime
// dependency bundled (eventemitter3, isomorphic-ws's browser build, @mooring/protocol),
// minified, and the CDN bundle dist/mooring.min.js. Schema libraries are the user's and are
// never imported by the client, so they are not counted.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { rollup } from 'rollup'
import { browserPlugins, strictBrowserWarnings } from './browser-bundle.mjs'

// The target is 8 KiB (goal 6.5 KiB); not met yet, see the notes of issues 2 and 4.
// The client with everything issues 3–5 ask for is 11.2 KiB today. The bar sits just above
// it so any growth fails the test command. It moved from 11 to 11.5 KiB once, on purpose:
// the idle-connection memory work (a class-based heartbeat, `ws` listeners without their
// on* wrappers) cost ~0.35 KiB gzip and saved ~4 KB of heap per connection.
const BUDGET_GZIP_BYTES = 11.5 * 1024
const ENTRY = resolve('packages/client/src/index.ts')
const CDN_BUNDLE = resolve('packages/client/dist/mooring.min.js')

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`

async function buildEsm() {
  const bundle = await rollup({ input: ENTRY, plugins: browserPlugins({ minify: true }), onwarn: strictBrowserWarnings })
  try {
    const { output } = await bundle.generate({ format: 'es' })
    return output
      .filter((chunk) => chunk.type === 'chunk')
      .map((chunk) => chunk.code)
      .join('\n')
  } finally {
    await bundle.close()
  }
}

function measure(label, code) {
  const min = Buffer.byteLength(code)
  const gzip = gzipSync(code, { level: 9 }).length
  const over = gzip > BUDGET_GZIP_BYTES
  console.log(`size: ${label} ${kib(min)} min, ${kib(gzip)} gzip (budget ${kib(BUDGET_GZIP_BYTES)})${over ? ' OVER BUDGET' : ''}`)
  return !over
}

let ok = true
if (!existsSync(ENTRY)) {
  console.error(`size: ${ENTRY} does not exist`)
  process.exit(1)
}
ok = measure('esm', await buildEsm()) && ok

if (existsSync(CDN_BUNDLE)) {
  ok = measure('iife', readFileSync(CDN_BUNDLE, 'utf8')) && ok
} else {
  console.error(`size: ${CDN_BUNDLE} is missing; run \`pnpm build\` first`)
  ok = false
}

if (!ok) {
  console.error(`size: over the ${kib(BUDGET_GZIP_BYTES)} gzip budget (${BUDGET_GZIP_BYTES} bytes)`)
  process.exit(1)
}
