// One config for every package in packages/*: ESM + CJS + declarations from src/index.ts,
// the server CLI, and the client's self-contained CDN bundle.
//
// Library builds bundle only the package's own files: every bare import (dependencies,
// peerDependencies, node: built-ins, other @mooring/* packages) stays external, so users'
// bundlers dedupe and tree-shake them. The CDN bundle is the opposite: everything inside.
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { dts } from 'rollup-plugin-dts'
import esbuild from 'rollup-plugin-esbuild'
import { browserPlugins, strictBrowserWarnings, TARGET } from './scripts/browser-bundle.mjs'

const PACKAGES_DIR = 'packages'
const builtins = new Set(builtinModules)

const isBare = (id) => !id.startsWith('.') && !isAbsolute(id) && !id.startsWith('\0')
/** `#transport` and friends: the package's own `imports` map, resolved per runtime by whoever loads dist. */
const isSubpathImport = (id) => id.startsWith('#')
const packageName = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0])

/**
 * Bare imports are external; one that the package does not declare would break for users
 * (it only works here because of hoisting), so say so loudly even under `--silent`.
 */
function externalFor(pkg) {
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    ...Object.keys(pkg.optionalDependencies ?? {}),
  ])
  const reported = new Set()
  return (id) => {
    if (!isBare(id)) return false
    const name = packageName(id)
    const ok = isSubpathImport(id) || id.startsWith('node:') || builtins.has(name) || declared.has(name) || name === pkg.name
    if (!ok && !reported.has(name)) {
      reported.add(name)
      console.warn(`[build] ${pkg.name} imports "${id}" but does not declare "${name}" in dependencies or peerDependencies`)
    }
    return true
  }
}

const HASHBANG = '#!/usr/bin/env node'

/** The banner adds the one hashbang; a source hashbang would make it two (a syntax error). */
function stripHashbang() {
  return {
    name: 'mooring:strip-hashbang',
    transform(code) {
      return code.startsWith('#!') ? { code: code.replace(/^#![^\n]*/, ''), map: null } : null
    },
  }
}

/** The CLI must be runnable straight from a checkout (`node dist/cli.js` or `./dist/cli.js`). */
function executable(fileName) {
  return {
    name: 'mooring:executable',
    writeBundle(options) {
      const file = join(options.dir, fileName)
      if (existsSync(file)) chmodSync(file, 0o755)
    },
  }
}

/** manualChunks: every module reachable from `entry` goes into the chunk named `name`. */
function intoEntryChunk(entry, name) {
  let reachable
  return (id, { getModuleInfo }) => {
    if (!reachable) {
      reachable = new Set()
      const stack = [resolve(entry)]
      while (stack.length > 0) {
        const next = stack.pop()
        if (reachable.has(next)) continue
        reachable.add(next)
        stack.push(...(getModuleInfo(next)?.importedIds ?? []))
      }
    }
    return reachable.has(id) ? name : undefined
  }
}

/**
 * The entry points of a package: every `source` condition in its exports and imports maps
 * (nested conditions included), named after the file its `import` condition points at
 * (`./dist/indexeddb.js` → `indexeddb`, `./dist/transport.node.js` → `transport.node`).
 */
function entriesOf(dir, pkg) {
  const entries = {}
  const visit = (target) => {
    if (typeof target !== 'object' || target === null) return
    if (target.source && target.import) {
      // `import` is a path (imports map) or an object with types and default (exports map).
      const file = typeof target.import === 'string' ? target.import : target.import.default
      entries[file.replace(/^\.\/dist\//, '').replace(/\.js$/, '')] = join(dir, target.source)
    }
    for (const value of Object.values(target)) visit(value)
  }
  visit(pkg.exports)
  visit(pkg.imports)
  return entries
}

function packageConfigs(dir) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const entry = join(dir, 'src/index.ts')
  if (!existsSync(entry)) {
    // Publint then fails on the missing dist files, so this cannot slip through CI.
    console.warn(`[build] ${pkg.name}: no src/index.ts, skipped`)
    return []
  }
  // A clean dist each build: a file left from an older layout would still be published.
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  const external = externalFor(pkg)
  const entries = entriesOf(dir, pkg)
  const cli = join(dir, 'src/cli.ts')
  const hasCli = pkg.bin && existsSync(cli)
  if (pkg.bin && !hasCli) console.warn(`[build] ${pkg.name}: declares a bin but has no src/cli.ts`)

  const js = () => [esbuild({ target: TARGET, tsconfig: 'tsconfig.json', jsx: 'automatic' })]
  const configs = [
    {
      input: hasCli ? { ...entries, cli } : entries,
      external,
      plugins: [stripHashbang(), ...js(), hasCli && executable('cli.js')].filter(Boolean),
      output: {
        dir: join(dir, 'dist'),
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        // The CLI imports the library's modules directly; keep them in index.js (which cli.js
        // then imports) instead of a hashed shared chunk.
        manualChunks: hasCli ? intoEntryChunk(entry, 'index') : undefined,
        banner: (chunk) => (chunk.isEntry && chunk.name === 'cli' ? HASHBANG : ''),
      },
    },
    ...Object.entries(entries).flatMap(([name, input]) => [
      {
        input,
        external,
        plugins: js(),
        output: { file: join(dir, `dist/${name}.cjs`), format: 'cjs', exports: 'named', interop: 'auto' },
      },
      {
        input,
        external,
        plugins: [dts({ tsconfig: 'tsconfig.json', compilerOptions: { noEmit: false } })],
        // .d.cts so `require` consumers get declarations that TypeScript reads as CommonJS.
        output: [
          { file: join(dir, `dist/${name}.d.ts`), format: 'es' },
          { file: join(dir, `dist/${name}.d.cts`), format: 'es' },
        ],
      },
    ]),
  ]

  if (pkg.name === '@mooring/client') {
    configs.push({
      input: entry,
      plugins: browserPlugins({ minify: true }),
      onwarn: strictBrowserWarnings,
      output: {
        file: join(dir, 'dist/mooring.min.js'),
        format: 'iife',
        name: 'Mooring',
        exports: 'named',
        sourcemap: true,
      },
    })
  }
  return configs
}

const packageDirs = readdirSync(PACKAGES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(PACKAGES_DIR, d.name, 'package.json')))
  .map((d) => join(PACKAGES_DIR, d.name))
  .sort()

export default packageDirs.flatMap(packageConfigs)
