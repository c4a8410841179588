// Size budget for what a browser downloads: the client's ESM entry with every runtime
// dependency bundled (eventemitter3, isomorphic-ws's browser build, @mooring/protocol),
// minified, and the CDN bundle dist/mooring.min.js. Schema libraries are the user's and are
// never imported by the client, so they are not counted.
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { rollup } from 'rollup'
import { browserPlugins, strictBrowserWarnings } from './browser-bundle.mjs'

// Issue 2 set 8 KiB for the first slice, before issues 3–5 defined the client's features.
// With all of them the client is 11.0 KiB (ESM 10.9, CDN 11.0; see README "Size" and
// `bench/size.ts`, which measures socket.io-client at 12.5, centrifuge at 22.5 and phoenix
// at 7.2 KiB the same way). Without rooms, raw mode, storage and stats it would still be
// ~9 KiB, so 8 KiB is not reachable without dropping what the design promises; the bar
// is the measured size plus ~0.3 KiB, so growth fails the test command and has to be argued
// for in the commit that raises it. History: 11 → 11.5 KiB for the idle-memory work; 11.5 →
// 11.25 KiB once browsers stopped carrying the Node transport.
const BUDGET_GZIP_BYTES = 11.25 * 1024
const ENTRY = resolve('packages/client/src/index.ts')
const CDN_BUNDLE = resolve('packages/client/dist/mooring.min.js')

const kib = (bytes) => `${(bytes / 1024).toFixed(2)} KiB`

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
  console.log(
    `size: ${label} ${kib(min)} min, ${kib(gzip)} gzip (${gzip} bytes; budget ${BUDGET_GZIP_BYTES} bytes = ${kib(BUDGET_GZIP_BYTES)})${over ? ' OVER BUDGET' : ''}`,
  )
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
