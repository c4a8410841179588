// The built client as a consumer's bundler sees it (dist, no `source` condition): a bundle
// for browsers must take the browser transport and nothing of `ws`; one for Node (ESM and
// CJS) must take the Node transport. This checks the package.json `imports` map that
// decides it, which the unit tests (on src/) and the e2e pages (an import map) do not.
import { build } from 'esbuild'

const cases = [
  { label: 'browser, ESM', platform: 'browser', format: 'esm', want: /dist\/transport\.js$/, never: /transport\.node|isomorphic-ws|\/ws\// },
  { label: 'Node, ESM', platform: 'node', format: 'esm', want: /dist\/transport\.node\.js$/ },
  { label: 'Node, CJS', platform: 'node', format: 'cjs', want: /dist\/transport\.node\.cjs$/ },
]

let failed = 0
for (const { label, platform, format, want, never } of cases) {
  const contents = format === 'esm' ? `export { createClient } from '@mooring/client'` : `module.exports = require('@mooring/client')`
  const { metafile } = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    platform,
    format,
    metafile: true,
    write: false,
    logLevel: 'silent',
    external: ['ws'],
  })
  const inputs = Object.keys(metafile.inputs)
  const bad = never ? inputs.filter((input) => never.test(input)) : []
  const ok = inputs.some((input) => want.test(input)) && bad.length === 0
  if (!ok) failed++
  const transports = inputs.filter((input) => /transport|isomorphic-ws/.test(input)).map((input) => input.replace(/.*node_modules\//, ''))
  console.log(`runtimes: ${ok ? 'ok  ' : 'FAIL'} ${label.padEnd(12)} ${transports.join(', ')}`)
}
if (failed) {
  console.error(`runtimes: ${failed} case(s) resolved the wrong transport`)
  process.exit(1)
}
