// What a browser downloads for each WebSocket client, measured the same way for all of them
// in one run: esbuild bundles the import a user writes (browser platform, every dependency
// inside), terser minifies it (the options the CDN bundle uses), gzip -9 compresses it. Then
// where Mooring's own bytes go, per source file.
//
//   node --import tsx bench/size.ts
//
// The enforced budget is scripts/size.mjs (part of the test command); this is the context
// that budget is read in.
import { build, type Metafile } from 'esbuild'
import { minify } from 'terser'
import { gzipSync } from 'node:zlib'
import { relative } from 'node:path'

interface Subject {
  name: string
  /** What the user writes. */
  source: string
  /** What it gives them, in a few words. */
  scope: string
}

const subjects: Subject[] = [
  {
    name: 'Mooring',
    source: `export { createClient } from '@mooring/client'`,
    scope: 'reconnect, heartbeat, rooms + recovery + presence, outbox, requests, validation, raw mode',
  },
  { name: 'socket.io-client', source: `export { io } from 'socket.io-client'`, scope: 'reconnect, rooms (server side), acks, long-polling fallback' },
  { name: 'centrifuge', source: `export { Centrifuge } from 'centrifuge'`, scope: 'reconnect, subscriptions + recovery, presence, RPC' },
  { name: 'phoenix', source: `export { Socket } from 'phoenix'`, scope: 'reconnect, channels, presence, push replies, long-polling fallback' },
  { name: 'partysocket', source: `export { default } from 'partysocket'`, scope: 'reconnecting WebSocket, message buffer' },
]

async function bundle(source: string, minifyWith: 'terser' | 'esbuild'): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // Workspace packages are read from src/ (the same code rollup builds into dist/).
    conditions: ['source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    minify: minifyWith === 'esbuild',
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
  const code = result.outputFiles[0]!.text
  if (minifyWith === 'esbuild') return { code, metafile: result.metafile }
  const minified = await minify(code, { ecma: 2020, module: true, compress: { passes: 2 }, format: { comments: false } })
  return { code: minified.code!, metafile: result.metafile }
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1)
const gzip = (code: string) => gzipSync(code, { level: 9 }).length

const rows: { subject: Subject; min: number; gz: number }[] = []
for (const subject of subjects) {
  const { code } = await bundle(subject.source, 'terser')
  rows.push({ subject, min: Buffer.byteLength(code), gz: gzip(code) })
}
const mooring = rows[0]!
console.log('\nsize: one import, bundled for the browser with its dependencies, minified, gzip -9\n')
console.log('| client | min KiB | gzip KiB | × Mooring | what it covers |')
console.log('|---|---|---|---|---|')
for (const { subject, min, gz } of rows)
  console.log(`| ${subject.name} | ${kib(min)} | ${kib(gz)} | ${(gz / mooring.gz).toFixed(2)} | ${subject.scope} |`)

// esbuild's minifier attributes its output to inputs; terser cannot. The split is close to
// terser's (esbuild's total is a few per cent larger) and is only used as shares.
const { metafile } = await bundle(subjects[0]!.source, 'esbuild')
const inputs = Object.values(metafile.outputs)[0]!.inputs
const total = Object.values(inputs).reduce((sum, input) => sum + input.bytesInOutput, 0)
const files = Object.entries(inputs)
  .map(([path, input]) => ({ file: relative('packages', path).replace(/^\.\.\/node_modules\/.*node_modules\//, ''), bytes: input.bytesInOutput }))
  .filter((entry) => entry.bytes > 0)
  .sort((a, b) => b.bytes - a.bytes)
console.log(`\nsize: where Mooring's bytes go (minified, esbuild; ${kib(total)} KiB in all)\n`)
console.log('| file | min bytes | share |')
console.log('|---|---|---|')
for (const { file, bytes } of files) console.log(`| ${file} | ${bytes} | ${((bytes / total) * 100).toFixed(1)} % |`)
